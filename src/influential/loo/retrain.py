"""Retraining the all-CNN without a training point, as Koh & Liang and the thesis did: warm-started from the trained
checkpoint (weights, Adam state, learning rate), the point removed, more Adam steps on minibatches of the rest.

A chunk's models train at once (adam.run: stacked weights, the same minibatches, each model's left-out point masked
out of its loss), with a control that removes nothing, so every actual influence can be read raw (against the
checkpoint) or paired (against the control, which cancels the drift of continued training).
"""

import logging
import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import tensorflow as tf

from influential.core.errors import TrainingError
from influential.data.splits import Split
from influential.training import adam
from influential.training.optimizer import AdamSettings, AdamState
from influential.training.trajectory import Trajectory

CONTROL = adam.NOTHING_LEFT_OUT  # the control model leaves nothing out

log = logging.getLogger(__name__)


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

    def start(self, model, theta: np.ndarray, state: AdamState) -> tuple[np.ndarray, AdamState]:
        """Where every retrained model (and the control) starts: the checkpoint, or a fresh initialisation."""
        if self.protocol == "warm_start":
            return theta, state
        fresh = model.initial_params(self.seed)
        return fresh, AdamState.zeros_like(fresh)

    def rate(self, schedule: AdamSettings, step: int) -> float:
        """The learning rate of the update after `step` completed ones."""
        return self.learning_rate or schedule.learning_rate_at(step)

    def control(self, model, theta: np.ndarray, state: AdamState, schedule: AdamSettings) -> Trajectory:
        """The control run's window, not yet walked: what HYDRA differentiates to predict the paired change."""
        start, first = self.start(model, theta, state)
        rates = [self.rate(schedule, t) for t in range(first.step, first.step + self.steps)]
        return Trajectory.starting_at(start, first, np.array(rates), self.batch_size, self.seed)


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
    """Train one model per entry of `left_out` (a training position, CONTROL for none, or a row of positions padded
    with CONTROL: a set) together.

    Returns each model's final parameters and its loss on every test example.
    """
    k = len(left_out)
    start, first = settings.start(model, theta, state)
    start, first = np.tile(start, (k, 1)), first.tiled(k)
    started = time.perf_counter()

    def report(step: int, *_) -> None:
        done = step - first.step
        log.info("retraining %d models: step %d of %d (%.0f s)", k, done, settings.steps, time.perf_counter() - started)

    thetas, _ = adam.run(
        model,
        start,
        first,
        train.x,
        train.y,
        left_out,
        settings.batch_size,
        settings.seed,
        settings.steps,
        lambda step: settings.rate(schedule, step),
        report,
        log_every,
    )
    if not np.all(np.isfinite(thetas)):
        raise TrainingError("retraining diverged: parameters are not finite; lower loo.learning_rate")
    return {"thetas": thetas, "test_losses": adam.stacked_losses(model, thetas, test.x, test.y)}


def retrain_sets(
    model,
    theta: np.ndarray,
    state: AdamState,
    schedule: AdamSettings,
    train: Split,
    sets: list[np.ndarray],
    settings: RetrainSettings,
) -> np.ndarray:
    """Retrain without each set of training positions at once, and a control that removes nothing (the last row);
    returns each model's final parameters, (len(sets) + 1, n_params)."""
    width = max([len(positions) for positions in sets], default=1)
    removed = np.full((len(sets) + 1, width), CONTROL, dtype=np.int64)
    for row, positions in zip(removed, sets, strict=False):
        row[: len(positions)] = positions
    empty = train.take(np.arange(0))
    result = retrain(model, theta, state, schedule, train, empty, removed, settings, max(1, settings.steps // 10))
    return result["thetas"]


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
    checkpoint itself), each with its parameters (`theta`) and its loss on every test example (`test_losses`,
    float32), so that the chunk serves every test point and test objective, including ones configured later."""
    left_out = np.append(np.asarray(positions, dtype=np.int64), CONTROL)
    started = time.perf_counter()
    result = retrain(
        model, theta, state, schedule, train, test, left_out, settings, log_every=max(1, settings.steps // 10)
    )
    seconds = time.perf_counter() - started
    thetas = np.vstack([result["thetas"], theta])
    masks = np.append(left_out, CONTROL)  # the checkpoint left nothing out
    test_losses = np.vstack([result["test_losses"], model.losses(theta, test.x, test.y)])
    train_losses = adam.stacked_losses(model, thetas, train.x, train.y)
    kept = np.arange(len(train))[None, :] != masks[:, None]
    real = left_out[:-1]
    return pd.DataFrame(
        {
            "model": ["left_out"] * len(real) + ["control", "checkpoint"],
            "train_position": np.append(real, [CONTROL, CONTROL]),
            "train_index": np.append(train.index[real], [CONTROL, CONTROL]),
            "label": np.append(train.y[real], [CONTROL, CONTROL]),
            "theta": list(thetas),
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
            losses = model.stacked_losses(t, train.x[i : i + batch_size], train.y[i : i + batch_size])
            value = tf.reduce_sum(tf.reduce_sum(keep * losses, axis=1) / n_kept)
        total += tape.gradient(value, t).numpy()
    with tf.GradientTape() as tape:
        tape.watch(t)
        regularizer = tf.reduce_sum(model.stacked_regularizer(t))
    total += tape.gradient(regularizer, t).numpy()
    return np.linalg.norm(total, axis=1)
