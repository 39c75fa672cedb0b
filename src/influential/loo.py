"""Leave-one-out ground truth: retrain without a training point and record the change of every test loss.

Logistic regression is refitted from scratch for every point. The all-CNN is retrained as Koh & Liang and the
thesis did: warm-started from the trained checkpoint (weights, Adam state, learning rate), the point removed,
more Adam steps on minibatches of the rest. Many left-out models train at once in one graph (stacked weights,
the same minibatches, each model's left-out point masked out of its loss), with a control model that removes
nothing, so every actual influence can be read raw (against the checkpoint) or paired (against the control,
which cancels the drift of continued training).
"""

import hashlib
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow as tf

from influential.data import Split
from influential.evaluation import ACTUAL, PREDICTED, RAW
from influential.training import AdamSettings, AdamState, adam_update, fit_logistic, minibatches

CONTROL = -1  # the left-out position of the control model
CPU_EXAMPLES_PER_CALL = 2000  # see models_per_call
CHUNK_NAME = re.compile(r"\d{5}-\d{5}-[0-9a-f]{8}")  # first-last-digest, see chunk_name

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


def chunk_name(positions) -> str:
    """A chunk's name, derived from its left-out training positions: first, last, and a digest of them all."""
    positions = sorted(int(p) for p in positions)
    digest = hashlib.sha1(",".join(map(str, positions)).encode()).hexdigest()[:8]
    return f"{positions[0]:05d}-{positions[-1]:05d}-{digest}"


def plan_chunks(wanted, retrained: dict[str, list[int]], size: int) -> pd.DataFrame:
    """Assign every wanted training position to a chunk (columns train_position, chunk).

    Chunks already retrained (`retrained`: name -> positions) are kept whole while one of their points is still
    wanted, so raising k or adding test points only adds chunks; the remaining positions are cut, in ascending
    order, into chunks of `size`. A lost chunk's points come back as the same chunk.
    """
    wanted, covered, rows = {int(p) for p in wanted}, set(), []
    for name, positions in sorted(retrained.items()):
        positions = {int(p) for p in positions}
        if positions & wanted and not positions & covered and name == chunk_name(positions):
            rows += [(p, name) for p in sorted(positions)]
            covered |= positions
    rest = sorted(wanted - covered)
    for i in range(0, len(rest), size):
        rows += [(p, chunk_name(rest[i : i + size])) for p in rest[i : i + size]]
    return pd.DataFrame(rows, columns=["train_position", "chunk"]).sort_values(
        ["chunk", "train_position"], ignore_index=True
    )


def retrained_chunks(folder: str | Path) -> dict[str, list[int]]:
    """Left-out positions of the chunks already in `folder`, by name. Writes are atomic, so a file is complete;
    one that cannot be read is skipped (and planned again)."""
    found = {}
    for path in sorted(Path(folder).glob("*.parquet")):
        if CHUNK_NAME.fullmatch(path.stem):
            try:
                table = pd.read_parquet(path, columns=["model", "train_position"])
            except (OSError, ValueError) as err:
                log.warning("ignoring unreadable chunk %s: %s", path, err)
                continue
            found[path.stem] = table.loc[table["model"] == "left_out", "train_position"].tolist()
    return found


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
    """Train one model per entry of `left_out` (a training position, or CONTROL for none) together, stacked
    (see models_per_call).

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
    x_all, y_all = tf.constant(train.x), tf.constant(train.y)
    size = models_per_call(k, settings.batch_size)
    groups = [
        (*(tf.constant(np.tile(a, (len(part), 1))) for a in (start, m0, v0)), tf.constant(part))
        for part in np.array_split(np.asarray(left_out), range(size, k, size))
    ]
    step = _stacked_step(model)
    batches = minibatches(len(train), settings.batch_size, settings.seed)
    started = time.perf_counter()
    for done in range(first_step, first_step + settings.steps):
        rate = tf.constant(settings.learning_rate or schedule.learning_rate_at(done), groups[0][0].dtype)
        batch, t = tf.constant(next(batches)), tf.constant(done)
        groups = [(*step(thetas, m, v, t, x_all, y_all, batch, out, rate), out) for thetas, m, v, out in groups]
        completed = done + 1 - first_step
        if log_every and (completed % log_every == 0 or completed == settings.steps):
            log.info(
                "retraining %d models, %d per call: step %d of %d (%.0f s)",
                k,
                size,
                completed,
                settings.steps,
                time.perf_counter() - started,
            )
    final = np.vstack([thetas.numpy() for thetas, *_ in groups])
    if not np.all(np.isfinite(final)):
        raise FloatingPointError("retraining diverged: parameters are not finite; lower loo.learning_rate")
    return {"thetas": final, "test_losses": stacked_losses(model, final, test.x, test.y)}


def models_per_call(k: int, batch_size: int) -> int:
    """How many of k models one training step stacks into one call. A GPU takes them all. On a CPU, many models'
    activations at once outgrow the caches (batch 500: 16 models per call ran 16.0 model-steps/s against 18.6 one
    at a time), so a call holds about CPU_EXAMPLES_PER_CALL model-examples and a step runs several calls."""
    if tf.config.list_physical_devices("GPU"):
        return k
    return max(1, min(k, CPU_EXAMPLES_PER_CALL // batch_size))


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
    positions: np.ndarray,
    settings: RetrainSettings,
) -> pd.DataFrame:
    """Retrain without each of `positions`, plus a control; one row per model (left_out, control, and the
    checkpoint itself), each with its loss on every test example (`test_losses`, float32), so that the chunk
    serves every test point, including ones configured later."""
    left_out = np.append(np.asarray(positions, dtype=np.int64), CONTROL)
    started = time.perf_counter()
    result = retrain(
        model, theta, state, schedule, train, test, left_out, settings, log_every=max(1, settings.steps // 10)
    )
    seconds = time.perf_counter() - started
    thetas = np.vstack([result["thetas"], theta])
    masks = np.append(left_out, CONTROL)  # the checkpoint left nothing out
    test_losses = np.vstack([result["test_losses"], model.losses(theta, test.x, test.y)])
    train_losses = stacked_losses(model, thetas, train.x, train.y)
    kept = np.arange(len(train))[None, :] != masks[:, None]
    real = left_out[:-1]
    return pd.DataFrame(
        {
            "model": ["left_out"] * len(real) + ["control", "checkpoint"],
            "train_position": np.append(real, [CONTROL, CONTROL]),
            "train_index": np.append(train.index[real], [CONTROL, CONTROL]),
            "label": np.append(train.y[real], [CONTROL, CONTROL]),
            "test_losses": list(test_losses.astype(np.float32)),
            "final_train_loss": (train_losses * kept).sum(axis=1) / kept.sum(axis=1),
            "param_distance": np.linalg.norm(thetas - theta, axis=1),
            "gradient_norm": _gradient_norms(model, thetas, train, masks),
            "protocol": settings.protocol,
            "steps": [settings.steps] * (len(real) + 1) + [0],
            "seed": settings.seed,
            "seconds": seconds,
            "slurm_job_id": os.environ.get("SLURM_JOB_ID", ""),
        }
    )


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


def gather(chunks: dict[str, pd.DataFrame], test_points: pd.DataFrame, selected: pd.DataFrame) -> pd.DataFrame:
    """Actual influence of every retrained point on every test point, one row each: the loss change against the
    chunk's own control (paired, ACTUAL) and against the checkpoint (RAW), and whether the point is among that
    test point's selection (`selected`) or was retrained for another one."""
    frames = []
    for name, chunk in sorted(chunks.items()):
        losses = np.stack(chunk["test_losses"].to_numpy())[:, test_points["test_position"].to_numpy()]
        control = losses[(chunk["model"] == "control").to_numpy()][0]
        checkpoint = losses[(chunk["model"] == "checkpoint").to_numpy()][0]
        left = (chunk["model"] == "left_out").to_numpy()
        rows = chunk.loc[left].drop(columns=["model", "test_losses"]).assign(chunk=name)
        for j, test in enumerate(test_points["test"]):
            frames.append(
                rows.assign(
                    test=test,
                    test_loss=losses[left, j],
                    **{RAW: losses[left, j] - checkpoint[j], ACTUAL: losses[left, j] - control[j]},
                )
            )
    table = pd.concat(frames, ignore_index=True).drop_duplicates(["train_position", "test"], keep="first")
    chosen = selected[["train_position", "test"]].assign(selected=True)
    table = table.merge(chosen, on=["train_position", "test"], how="left")
    table["selected"] = table["selected"].astype("boolean").fillna(False).astype(bool)
    return table.sort_values(["test", "train_position"], ignore_index=True)
