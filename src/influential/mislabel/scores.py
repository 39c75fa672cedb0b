"""Every training point scored for how likely its label is wrong, by one ranker (names.MISLABEL_RANKERS): an
estimator's self-influence, or a baseline (the training loss, a random order)."""

import numpy as np

from influential.core import names
from influential.data.splits import Split
from influential.influence import functions, tracin

# What the rankers' estimators read, by role (influence.inputs.load)
LOADERS = functions.LOADERS | tracin.LOADERS


def scores(ranker: str, settings: dict, model, theta: np.ndarray, train: Split, cached: dict) -> np.ndarray:
    """One score per training point, higher = more suspect. `settings`: the estimator's (as its influence jobs get
    them), or `seed` for the random order; `cached`: the estimator's inputs (influence.inputs.load)."""
    if ranker == names.TRAINING_LOSS:
        return model.losses(theta, train.x, train.y)
    if ranker == names.RANDOM:
        return np.random.default_rng(settings["seed"]).random(len(train))
    if ranker == names.TRACIN:
        return tracin.build(settings, model, train.x, train.y, **cached).self_influence()
    return functions.build(ranker, settings, model, theta, train.x, train.y, **cached).self_influence()
