"""Replaying a recorded Adam run (training.trajectory) step by step, and walking it to record it more densely.

Replaying is exact: the same start state, the same seeded minibatches and the same compiled step (adam.stacked_step,
one model, nothing left out) as training, or as the control of a leave-one-out chunk, give the same states.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from influential.training import adam
from influential.training.trajectory import Trajectory


@dataclass(frozen=True)
class Step:
    """One update of a replay (tensors): the step it followed, the parameters before and after it, the moments it
    made, the minibatch gradient it stepped along, its learning rate and its minibatch."""

    t: int
    theta: tf.Tensor
    theta_next: tf.Tensor
    m_next: tf.Tensor
    v_next: tf.Tensor
    gradient: tf.Tensor
    rate: float
    batch: tf.Tensor


def replay(model, trajectory: Trajectory, x: np.ndarray, y: np.ndarray, record: int, steps: int) -> Iterator[Step]:
    """The `steps` updates that follow record `record`, recomputed."""
    theta, state = trajectory.state(record)
    batches = adam.minibatches(len(y), trajectory.batch_size, trajectory.seed)
    for _ in range(state.step - trajectory.first):  # the stream as it was at that record
        next(batches)
    step = adam.stacked_step(model)
    x_all, y_all = tf.constant(x), tf.constant(y)
    thetas, m, v = (tf.constant(a[None]) for a in (theta, state.m, state.v))
    nothing = tf.constant([adam.NOTHING_LEFT_OUT], dtype=tf.int64)
    for t in range(state.step, state.step + steps):
        batch, rate = tf.constant(next(batches)), trajectory.rate(t)
        after, m, v, gradient = step(
            thetas, m, v, tf.constant(t), x_all, y_all, batch, nothing, tf.constant(rate, thetas.dtype)
        )
        yield Step(t, thetas[0], after[0], m[0], v[0], gradient[0], rate, batch)
        thetas = after


def walk(model, trajectory: Trajectory, x: np.ndarray, y: np.ndarray, every: int) -> Trajectory:
    """The run from the trajectory's first record through all its updates, recorded every `every` steps and at the
    end (e.g. a leave-one-out control's window, which HYDRA walks backwards segment by segment)."""
    steps, thetas, m, v = [trajectory.first], [trajectory.thetas[0]], [trajectory.m[0]], [trajectory.v[0]]
    total = trajectory.last - trajectory.first
    for done, update in enumerate(replay(model, trajectory, x, y, 0, total), start=1):
        if done % every == 0 or done == total:
            steps.append(update.t + 1)
            thetas.append(update.theta_next.numpy())
            m.append(update.m_next.numpy())
            v.append(update.v_next.numpy())
    return Trajectory(
        np.array(steps),
        np.stack(thetas),
        np.stack(m),
        np.stack(v),
        trajectory.learning_rates,
        trajectory.batch_size,
        trajectory.seed,
    )
