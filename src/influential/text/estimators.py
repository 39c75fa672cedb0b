"""Every training unit's predicted change of a word objective if the unit is left out (the sign convention of
influence.functions: f(theta without the unit) - f(theta)), by

- `block` (Brunet et al. 2019): only the objective's words' input vectors move, the output vectors stay fixed; then
  the training objective's Hessian in those vectors is block diagonal, one exact d x d block per word, and leaving
  unit z out moves word w's vector by (1/n) H_w^-1 grad_w r_z (n units, r_z the unit's loss). Closed form, numpy
  (text.block);
- `exact`: the same over a larger restricted set, the output vectors of the words most coupled to the objective's
  free too, its Hessian formed in closed form and inverted (text.restricted);
- `cg`, `lissa`: conjugate gradients or the LiSSA recursion over all parameters with Hessian-vector products over
  the corpus or sampled units (influence.functions), each unit's term by forward-mode differentiation (no per-unit
  gradient is formed);
- `tracin`: TracInCP over the training checkpoints (influence.tracin's), each unit's loss gradient taken along the
  objective's gradient at each checkpoint by forward-mode differentiation;
- `hydra`, `hydra_free`: HYDRA (influence.hydra) over the leave-one-out retraining's window or the whole training
  run, one adjoint sweep per objective.

A prediction is `linear` (the objective's gradient times the parameter change) or, for estimators that give each
unit's parameter change (`block`, `exact`), `shifted`: the objective recomputed at the moved vectors (Brunet's way).
"""

import logging
import time

import numpy as np
import pandas as pd

from influential.core.errors import InputError
from influential.core.names import (
    BLOCK,
    CG,
    CHANGE_ESTIMATORS,
    EVALUATED_SHIFTED,
    EXACT,
    HYDRA,
    HYDRA_FREE,
    LISSA,
    PREDICTED,
    SHIFTED,
    TRACIN,
    WORD_ESTIMATORS,
)
from influential.data.splits import Split
from influential.influence import tables
from influential.text.block import block_changes, shifted
from influential.text.objectives import WordObjective
from influential.text.restricted import restricted_changes

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


def parameter_changes(name: str, model, theta: np.ndarray, objective: WordObjective, settings: dict):
    """Each unit's predicted change of the objective's words' input vectors if it is left out, (n_units, m, d), by
    an estimator of CHANGE_ESTIMATORS, and its facts."""
    if name == BLOCK:
        return block_changes(model, theta, objective, settings["damping"]), {}
    count = settings[EXACT]["output_words"]
    changes, freed = restricted_changes(model, theta, objective.words, count, settings["damping"])
    return changes, {"output_words": freed}


def group_shifted(name: str, model, theta: np.ndarray, objective: WordObjective, sets: pd.DataFrame, settings: dict):
    """The shifted prediction of an estimator of CHANGE_ESTIMATORS for removing each set (rows of
    text.groups.select) at once: the objective under the sum of its units' changes, a row per set."""
    changes, _ = parameter_changes(name, model, theta, objective, settings)
    joint = np.stack([changes[np.asarray(units, dtype=np.int64)].sum(0) for units in sets["units"]])
    vectors = model.input_vectors(theta).astype(np.float64)[objective.words]
    return pd.DataFrame(
        {
            "set": sets["set"].to_numpy(),
            "estimator": name,
            "objective": objective.name,
            PREDICTED: shifted(objective, vectors, joint),
            "evaluation": EVALUATED_SHIFTED,
        }
    )


def solved(name: str, model, theta: np.ndarray, objective: WordObjective, gradient: np.ndarray, settings: dict):
    """`cg` or `lissa` (influence.functions, over every unit) on the objective's gradient: each unit's linear
    prediction and the solve's diagnostics."""
    from influential.influence import functions
    from influential.models.skipgram import SkipGram

    units = model.units()
    solver = functions.build(
        name, settings, SkipGram.of(model), theta.astype(np.float64), units, np.zeros(len(units), np.int32)
    )
    linear = solver.change_for_gradients(parameter_gradient(model, objective, gradient)[None])[0]
    return linear, {k: v for k, v in solver.diagnostics[0].items() if k not in ("estimator", "seconds")}


def hydra(name: str, model, trajectory, objective: WordObjective, settings: dict):
    """HYDRA (influence.hydra) over its window: each unit's linear prediction, the objective's gradient taken at the
    window's end (the leave-one-out control's, for window `retrain`), and the window walked."""
    from influential.influence import hydra as hydra_of
    from influential.models.skipgram import SkipGram

    units = model.units()
    skipgram, labels = SkipGram.of(model), np.zeros(len(units), np.int32)
    influence = hydra_of.build(name, settings, skipgram, units, labels, trajectory=trajectory)
    last = influence.trajectory.thetas[-1].astype(np.float64)
    gradient = objective.gradient(model.input_vectors(last)[objective.words])
    linear = influence.change_for_gradients(parameter_gradient(model, objective, gradient)[None])[0]
    return linear, {"window": influence.diagnostics[0]["window"]}


def predict(name: str, model, theta: np.ndarray, objective: WordObjective, settings: dict, trajectory=None):
    """The linear and (where the estimator gives parameter changes) shifted prediction for every unit, and the
    solve's diagnostics; `model` is the Skip-gram's layout (models.skipgram_layout) or the model itself;
    `trajectory` the recorded training (tracin, hydra, hydra_free)."""
    started = time.perf_counter()
    vectors = model.input_vectors(theta).astype(np.float64)[objective.words]
    gradient = objective.gradient(vectors)
    moved, facts = np.full(model.pairs.n_units, np.nan), {}
    if name in CHANGE_ESTIMATORS:
        change, facts = parameter_changes(name, model, theta, objective, settings)
        linear = np.einsum("nwd,wd->n", change, gradient)
        moved = shifted(objective, vectors, change)
    elif name in (CG, LISSA):  # TensorFlow's: loaded for these estimators only
        linear, facts = solved(name, model, theta, objective, gradient, settings)
    elif name == TRACIN:
        checkpoints = settings[TRACIN]["checkpoints"]
        linear, steps = tracin(model, trajectory, objective, checkpoints, settings["batch_size"])
        facts = {"checkpoints": steps}
    elif name in (HYDRA, HYDRA_FREE):
        linear, facts = hydra(name, model, trajectory, objective, settings)
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
