"""Every training point scored for how likely its label is wrong, by one ranker (names.MISLABEL_RANKERS): an
estimator by a strategy (names.ESTIMATOR_RANKERS), or a baseline (the training loss, a random order).

- `self`: the point's self-influence, the predicted change of its own loss if it is left out (one solve per point
  for CG and LiSSA; TracIn's sum of squared gradient norms; the HYDRAs' one sweep along every training gradient,
  the cost of all pairs): a mislabelled point is fitted against its neighbours.
- `validation`: minus the predicted change of a clean set's summed loss if the point is left out, one solve, pass or
  adjoint sweep in all (every estimator is linear in the test gradient): a harmful point is one whose removal would
  lower the loss of examples whose labels are right (HYDRA's and DataInf's ranking).
"""

import numpy as np

from influential import models
from influential.core import names
from influential.core.errors import InputError
from influential.data.splits import Split
from influential.influence import registry

# What the rankers' estimators read, by role (influence.inputs.load)
LOADERS = registry.LOADERS


def scores(
    ranker: str, settings: dict, model, theta: np.ndarray, train: Split, cached: dict, clean: Split | None = None
) -> np.ndarray:
    """One score per training point, higher = more suspect. `settings`: the estimator's (as its influence jobs get
    them), or `seed` for the random order; `cached`: the estimator's inputs (influence.inputs.load); `clean`: the
    examples a `validation` ranking trusts."""
    if ranker == names.TRAINING_LOSS:
        return model.losses(theta, train.x, train.y)
    if ranker == names.RANDOM:
        return np.random.default_rng(settings["seed"]).random(len(train))
    name, strategy = names.ESTIMATOR_RANKERS[ranker]
    if strategy == names.VALIDATION and (clean is None or not len(clean)):
        raise InputError(f"mislabel.clean: {ranker} ranks by a clean split's loss, and the split has no examples")
    model, theta = models.restricted_for(model, theta, settings)  # influence.layers
    estimator = registry.build(name, settings, model, theta, train.x, train.y, **cached)
    if strategy == names.SELF:
        return estimator.self_influence()
    return -estimator.change_of_summed_loss(clean.x, clean.y)
