"""The path an Adam run took: its state every few steps, and what replays the steps between (the minibatch seed and
size, the learning rate of every update), so that TracIn can visit its checkpoints and HYDRA can walk it.

Replaying is exact: the same start state, the same seeded minibatches and the same compiled step (adam.stacked_step,
one model, nothing left out) as training, or as the control of a leave-one-out chunk, give the same states.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from influential.core import io
from influential.training import adam
from influential.training.adam import AdamState


@dataclass(frozen=True)
class Trajectory:
    steps: np.ndarray  # (C,) completed updates at each record, ascending; the first is where the run started
    thetas: np.ndarray  # (C, n_params) parameters at each record
    m: np.ndarray  # (C, n_params) Adam's first moments
    v: np.ndarray  # (C, n_params) Adam's second moments
    learning_rates: np.ndarray  # (S,) the rate of every update from steps[0] on
    batch_size: int
    seed: int  # of the minibatch stream, which starts at steps[0]

    @property
    def first(self) -> int:
        return int(self.steps[0])

    @property
    def last(self) -> int:
        """Completed updates at the end of the run."""
        return self.first + len(self.learning_rates)

    def state(self, i: int) -> tuple[np.ndarray, AdamState]:
        return self.thetas[i], AdamState(self.m[i], self.v[i], int(self.steps[i]))

    def rate(self, step: int) -> float:
        """The learning rate of the update after `step` completed ones."""
        return float(self.learning_rates[step - self.first])

    @classmethod
    def starting_at(
        cls, theta: np.ndarray, state: AdamState, learning_rates: np.ndarray, batch_size: int, seed: int
    ) -> "Trajectory":
        """A run not yet walked: its start and the rates of its updates (e.g. a leave-one-out control's window)."""
        return cls(
            np.array([state.step]),
            theta[None],
            state.m[None],
            state.v[None],
            np.asarray(learning_rates),
            batch_size,
            seed,
        )

    def save(self, path) -> None:
        io.save_arrays(
            path,
            steps=self.steps,
            thetas=self.thetas,
            m=self.m,
            v=self.v,
            learning_rates=self.learning_rates,
            batch_size=np.array(self.batch_size),
            seed=np.array(self.seed),
        )

    @classmethod
    def load(cls, path) -> "Trajectory":
        a = io.load_arrays(path)
        with io.reading(path):
            return cls(
                a["steps"], a["thetas"], a["m"], a["v"], a["learning_rates"], int(a["batch_size"]), int(a["seed"])
            )


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
