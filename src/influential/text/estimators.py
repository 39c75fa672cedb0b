"""Every training unit's predicted change of a word objective if the unit is left out (the sign convention of
influence.functions: f(theta without the unit) - f(theta)), by

- `block` (Brunet et al. 2019): only the objective's words' input vectors move, the output vectors stay fixed; then
  the training objective's Hessian in those vectors is block diagonal, one exact d x d block per word, and leaving
  unit z out moves word w's vector by (1/n) H_w^-1 grad_w r_z (n units, r_z the unit's loss). Closed form, numpy
  (text.block);
- `cg`: conjugate gradients over all parameters with Hessian-vector products over the corpus
  (influence.functions), each unit's term by forward-mode differentiation (no per-unit gradient is formed);
- `tracin`: TracInCP over the training checkpoints (influence.tracin's), each unit's loss gradient taken along the
  objective's gradient at each checkpoint by forward-mode differentiation.

A prediction is `linear` (the objective's gradient times the parameter change) or, for estimators that give each
unit's parameter change (`block`), `shifted`: the objective recomputed at the moved vectors (Brunet's way).
"""

import logging
import time

import numpy as np

from influential.core.errors import InputError
from influential.core.names import BLOCK, CG, SHIFTED, TRACIN, WORD_ESTIMATORS
from influential.data.splits import Split
from influential.influence import tables
from influential.text.block import block_changes, shifted
from influential.text.objectives import WordObjective

log = logging.getLogger(__name__)


def parameter_gradient(model, objective: WordObjective, gradient: np.ndarray) -> np.ndarray:
    """The objective's gradient (m, d) in its words' input vectors as a gradient over all parameters (U, then W)."""
    full = np.zeros((2, model.vocabulary_size, model.dim))
    full[0, objective.words] = gradient
    return full.ravel()


def tracin(model, trajectory, objective: WordObjective, checkpoints: int, batch_size: int) -> tuple[np.ndarray, list]:
    """TracInCP for a word objective: the sum over checkpoints k of rate_k grad f(theta_k) . grad r_z(theta_k) for
    every unit z (positive: z's steps lowered f, so leaving z out would raise it), and the checkpoints' steps. Its
    scale is TracIn's, not a predicted change: it is judged by correlation."""
    from influential.derivatives.autodiff import per_example_jvps
    from influential.influence.tracin import chosen_checkpoints
    from influential.models.skipgram import SkipGram

    skipgram, units = SkipGram.of(model), model.units()
    total, steps = np.zeros(len(units)), []
    for record, rate in chosen_checkpoints(trajectory, checkpoints):
        theta = trajectory.thetas[record].astype(np.float64)
        column = parameter_gradient(model, objective, objective.gradient(model.input_vectors(theta)[objective.words]))
        total += rate * per_example_jvps(skipgram, theta, units, units, column[:, None], batch_size)[0]
        steps.append(int(trajectory.steps[record]))
    return total, steps


def predict(name: str, model, theta: np.ndarray, objective: WordObjective, settings: dict, trajectory=None):
    """The linear and (where the estimator gives parameter changes) shifted prediction for every unit, and the
    solve's diagnostics; `model` is the Skip-gram's layout (models.skipgram_layout) or the model itself;
    `trajectory` the recorded training (tracin)."""
    started = time.perf_counter()
    vectors = model.input_vectors(theta).astype(np.float64)[objective.words]
    gradient = objective.gradient(vectors)
    if name == BLOCK:
        change = block_changes(model, theta, objective, settings["damping"])
        linear = np.einsum("nwd,wd->n", change, gradient)
        moved = shifted(objective, vectors, change)
        facts = {}
    elif name == CG:  # TensorFlow's: loaded for this estimator only
        from influential.influence.functions import ConjugateGradientInfluence
        from influential.models.skipgram import SkipGram

        units = model.units()
        solver = ConjugateGradientInfluence(
            SkipGram.of(model),
            theta.astype(np.float64),
            units,
            np.zeros(len(units), np.int32),
            settings["damping"],
            tol=settings["cg"]["tol"],
            max_iter=settings["cg"]["max_iter"],
            batch_size=settings["batch_size"],
        )
        test_gradient = parameter_gradient(model, objective, gradient)
        linear = solver.change_for_gradients(test_gradient[None])[0]
        moved = np.full(len(linear), np.nan)
        facts = {k: v for k, v in solver.diagnostics[0].items() if k not in ("estimator", "seconds")}
    elif name == TRACIN:
        checkpoints = settings[TRACIN]["checkpoints"]
        linear, steps = tracin(model, trajectory, objective, checkpoints, settings["batch_size"])
        moved, facts = np.full(len(linear), np.nan), {"checkpoints": steps}
    else:
        raise InputError(
            f"influence.estimators: {name!r} is no word-embedding estimator (known: {', '.join(WORD_ESTIMATORS)})"
        )
    seconds = time.perf_counter() - started
    log.info(
        "%s on %s: %.1f s, predicted changes %.3g to %.3g", name, objective.name, seconds, linear.min(), linear.max()
    )
    return linear, moved, {"estimator": name, "test": objective.name, "seconds": seconds, **facts}


def table(name: str, objective: str, linear: np.ndarray, moved: np.ndarray, unit_document: np.ndarray):
    """One estimator's predictions for one objective, a row per unit: influence.tables' columns (the unit is the
    training position, its document the label) and the shifted prediction."""
    units = np.arange(len(linear))
    return tables.table(Split(units, unit_document, units), name, objective, linear).assign(**{SHIFTED: moved})
