"""Leave-one-out ground truth: retrain without a training point and record the change of every test loss.

Logistic regression is refitted from scratch for every point. The all-CNN is retrained as Koh & Liang and the
thesis did: warm-started from the trained checkpoint (weights, Adam state, learning rate), the point removed,
more Adam steps on minibatches of the rest. Many left-out models train at once in one graph (stacked weights,
the same minibatches, each model's left-out point masked out of its loss), with a control model that removes
nothing, so every actual influence can be read raw (against the checkpoint) or paired (against the control,
which cancels the drift of continued training).
"""

import logging
import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import tensorflow as tf

from influential.data import Split
from influential.evaluation import ACTUAL, PREDICTED, RAW
from influential.training import AdamSettings, AdamState, adam_update, fit_logistic, minibatches

CONTROL = -1  # the left-out position of the control model

log = logging.getLogger(__name__)


def refit_logistic(
    model,
    theta: np.ndarray,
    train: Split,
    test: Split,
    test_names: list[str],
    tol: float,
    max_iter: int,
    positions: np.ndarray | None = None,
) -> pd.DataFrame:
    """Refit from scratch without each training point (the thesis' 4.1.1), same solver settings.

    Returns one row per (left-out point, test point) with L(test; theta_-z) - L(test; theta).
    """
    positions = np.arange(len(train)) if positions is None else np.asarray(positions)
    base = model.losses(theta, test.x, test.y)
    keep = np.ones(len(train), dtype=bool)
    rows = []
    for count, position in enumerate(positions, start=1):
        keep[position] = False
        theta_without, info = fit_logistic(model, train.x[keep], train.y[keep], tol, max_iter)
        keep[position] = True
        change = model.losses(theta_without, test.x, test.y) - base
        rows.extend(
            {
                "train_position": int(position),
                "train_index": int(train.index[position]),
                "label": int(train.y[position]),
                "test": name,
                ACTUAL: float(delta),
                "n_iter": info["n_iter"],
                "converged": info["converged"],
                "param_distance": float(np.linalg.norm(theta_without - theta)),
            }
            for name, delta in zip(test_names, change, strict=True)
        )
        if count % max(1, len(positions) // 10) == 0 or count == len(positions):
            log.info("leave-one-out refits: %d of %d", count, len(positions))
    return pd.DataFrame(rows)


# --- selection ------------------------------------------------------------------------------------------------


def ranked_for_retraining(predicted: pd.DataFrame) -> pd.DataFrame:
    """One test point's training points in retraining order: most positive, most negative, second most positive,
    ... (so the first k rows are the thesis' k/2 + k/2), with their rank."""
    by_value = predicted.sort_values([PREDICTED, "train_position"], ascending=[False, True])
    positive = by_value[by_value[PREDICTED] > 0]
    negative = by_value[by_value[PREDICTED] <= 0].iloc[::-1]
    order = []
    for i in range(max(len(positive), len(negative))):
        order += [frame.iloc[i : i + 1] for frame in (positive, negative) if i < len(frame)]
    ranked = pd.concat(order, ignore_index=True) if order else by_value.iloc[:0]
    return ranked.assign(rank=np.arange(len(ranked)), side=np.where(ranked[PREDICTED] > 0, "positive", "negative"))


def selection(predicted_by_test: dict[str, pd.DataFrame], k: int) -> pd.DataFrame:
    """The union over test points of the top k by predicted influence (k/2 most positive, k/2 most negative)."""
    rows = [ranked_for_retraining(table).head(k).assign(test=test) for test, table in predicted_by_test.items()]
    chosen = pd.concat(rows, ignore_index=True)
    columns = ["train_position", "train_index", "label", "test", "rank", "side", PREDICTED]
    return chosen[columns].sort_values(["train_position", "test"], ignore_index=True)


def chunk_positions(predicted: pd.DataFrame, start: int, size: int) -> np.ndarray:
    """Training positions at ranks [start, start + size) of one test point's retraining order."""
    return ranked_for_retraining(predicted)["train_position"].to_numpy()[start : start + size]


# --- retraining -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrainSettings:
    """How each left-out model continues: `warm_start` (checkpoint weights, Adam state and learning-rate
    schedule) or `reset` (a fresh initialisation and fresh Adam, from step 0 of the schedule)."""

    protocol: str
    steps: int
    batch_size: int
    seed: int
    learning_rate: float | None = None  # None: the training schedule's rate at each step

    @classmethod
    def from_config(cls, loo: dict) -> "RetrainSettings":
        return cls(loo["method"], loo["steps"], loo["batch_size"], loo["seed"], loo.get("learning_rate"))


def retrain(
    model,
    theta: np.ndarray,
    state: AdamState,
    schedule: AdamSettings,
    train: Split,
    test: Split,
    left_out: np.ndarray,
    settings: RetrainSettings,
    log_every: int = 0,
) -> dict[str, np.ndarray]:
    """Train one model per entry of `left_out` (a training position, or CONTROL for none) at once.

    Every model sees the same minibatches; model k's left-out point is masked out of its loss, which is the mean
    over the rest of the minibatch plus weight decay. Returns each model's final parameters and test losses.
    """
    tf.config.experimental.enable_op_determinism()
    k = len(left_out)
    if settings.protocol == "warm_start":
        start, m0, v0, first_step = theta, state.m, state.v, state.step
    else:
        start = model.initial_params(settings.seed)
        m0 = v0 = np.zeros_like(start)
        first_step = 0
    thetas, m, v = (tf.constant(np.tile(a, (k, 1))) for a in (start, m0, v0))
    x_all, y_all = tf.constant(train.x), tf.constant(train.y)
    out = tf.constant(np.asarray(left_out))
    step = _stacked_step(model)
    batches = minibatches(len(train), settings.batch_size, settings.seed)
    started = time.perf_counter()
    for done in range(first_step, first_step + settings.steps):
        rate = settings.learning_rate or schedule.learning_rate_at(done)
        thetas, m, v = step(
            thetas,
            m,
            v,
            tf.constant(done),
            x_all,
            y_all,
            tf.constant(next(batches)),
            out,
            tf.constant(rate, thetas.dtype),
        )
        completed = done + 1 - first_step
        if log_every and (completed % log_every == 0 or completed == settings.steps):
            log.info(
                "retraining %d models: step %d of %d (%.0f s)",
                k,
                completed,
                settings.steps,
                time.perf_counter() - started,
            )
    final = thetas.numpy()
    if not np.all(np.isfinite(final)):
        raise FloatingPointError("retraining diverged: parameters are not finite; lower loo.learning_rate")
    return {"thetas": final, "test_losses": stacked_losses(model, final, test.x, test.y)}


def _stacked_step(model):
    @tf.function
    def step(thetas, m, v, t, x_all, y_all, batch, left_out, rate):
        xb, yb = tf.gather(x_all, batch), tf.gather(y_all, batch)
        keep = tf.cast(batch[None, :] != left_out[:, None], thetas.dtype)  # (K, B)
        with tf.GradientTape() as tape:
            tape.watch(thetas)
            losses = _stacked_cross_entropy(model, thetas, xb, yb)
            objective = tf.reduce_sum(keep * losses, axis=1) / tf.reduce_sum(keep, axis=1)
            total = tf.reduce_sum(objective + model.stacked_regularizer(thetas))
        return adam_update(thetas, m, v, t, tape.gradient(total, thetas), rate)

    return step


def _stacked_cross_entropy(model, thetas, x, y):
    logits = model.stacked_logits(thetas, x)
    labels = tf.broadcast_to(tf.cast(y, tf.int32)[None, :], tf.shape(logits)[:2])
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)


def stacked_losses(model, thetas: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Per-example losses of K models, shape (K, n)."""
    t = tf.constant(thetas)
    return np.concatenate(
        [
            _stacked_cross_entropy(model, t, x[i : i + batch_size], y[i : i + batch_size]).numpy()
            for i in range(0, len(y), batch_size)
        ],
        axis=1,
    )


def retrain_chunk(
    model,
    theta: np.ndarray,
    state: AdamState,
    schedule: AdamSettings,
    train: Split,
    test: Split,
    test_names: list[str],
    positions: np.ndarray,
    settings: RetrainSettings,
) -> pd.DataFrame:
    """Retrain without each of `positions` plus one control; one row per (left-out point or control, test point)."""
    left_out = np.append(np.asarray(positions, dtype=np.int64), CONTROL)
    started = time.perf_counter()
    result = retrain(
        model, theta, state, schedule, train, test, left_out, settings, log_every=max(1, settings.steps // 10)
    )
    seconds = time.perf_counter() - started
    thetas, test_losses = result["thetas"], result["test_losses"]
    checkpoint = model.losses(theta, test.x, test.y)
    train_losses = stacked_losses(model, thetas, train.x, train.y)
    rows = []
    for i, position in enumerate(left_out):
        keep = np.arange(len(train)) != position
        for j, name in enumerate(test_names):
            rows.append(
                {
                    "train_position": int(position),
                    "train_index": int(train.index[position]) if position != CONTROL else CONTROL,
                    "label": int(train.y[position]) if position != CONTROL else CONTROL,
                    "test": name,
                    "test_loss": float(test_losses[i, j]),
                    RAW: float(test_losses[i, j] - checkpoint[j]),
                    ACTUAL: float(test_losses[i, j] - test_losses[-1, j]),
                    "final_train_loss": float(train_losses[i, keep].mean()),
                    "param_distance": float(np.linalg.norm(thetas[i] - theta)),
                    "protocol": settings.protocol,
                    "steps": settings.steps,
                    "seed": settings.seed,
                }
            )
    table = pd.DataFrame(rows)
    table["gradient_norm"] = np.repeat(_gradient_norms(model, thetas, train, left_out), len(test_names))
    table["seconds"] = seconds
    table["slurm_job_id"] = os.environ.get("SLURM_JOB_ID", "")
    return table


def _gradient_norms(model, thetas, train: Split, left_out, batch_size: int = 500) -> np.ndarray:
    """Norm of each model's full objective gradient (its left-out point excluded) at its final parameters."""
    t = tf.constant(thetas)
    n_kept = np.array([len(train) - (p != CONTROL) for p in left_out], dtype=thetas.dtype)
    total = np.zeros_like(thetas)
    for i in range(0, len(train), batch_size):
        positions = tf.range(i, min(i + batch_size, len(train)), dtype=tf.int64)
        keep = tf.cast(positions[None, :] != tf.constant(left_out)[:, None], t.dtype)
        with tf.GradientTape() as tape:
            tape.watch(t)
            losses = _stacked_cross_entropy(model, t, train.x[i : i + batch_size], train.y[i : i + batch_size])
            value = tf.reduce_sum(tf.reduce_sum(keep * losses, axis=1) / n_kept)
        total += tape.gradient(value, t).numpy()
    with tf.GradientTape() as tape:
        tape.watch(t)
        regularizer = tf.reduce_sum(model.stacked_regularizer(t))
    total += tape.gradient(regularizer, t).numpy()
    return np.linalg.norm(total, axis=1)


def gather(chunks: list[pd.DataFrame]) -> pd.DataFrame:
    """All chunks' left-out rows, each training point once (a point chosen for two test points may sit in two
    chunks; the runs are identical, the first is kept); controls dropped."""
    table = pd.concat(chunks, ignore_index=True)
    table = table[table["train_position"] != CONTROL]
    return table.drop_duplicates(["train_position", "test"], keep="first").sort_values(
        ["test", "train_position"], ignore_index=True
    )
