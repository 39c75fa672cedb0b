"""The path an Adam run took: its state every few steps, and what replays the steps between (the minibatch seed and
size, the learning rate of every update), so that TracIn can visit its checkpoints and HYDRA can walk it
(training.replay). Plain data: no TensorFlow.
"""

from dataclasses import dataclass

import numpy as np

from influential.core import io
from influential.training.optimizer import AdamState


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
