"""Adam's settings (the step-wise learning-rate schedule) and state (TensorFlow 1's moments), as plain data: what a
trained model stores for warm starts and what a trajectory records. No TensorFlow."""

from dataclasses import dataclass

import numpy as np

from influential.core import io


@dataclass(frozen=True)
class AdamSettings:
    """Minibatch Adam with a step-wise learning-rate schedule (Koh & Liang: 1e-4, x0.1 at 110k, x0.01 at 220k)."""

    steps: int
    batch_size: int
    learning_rate: float
    schedule: tuple[tuple[int, float], ...] = ()
    seed: int = 0
    log_every: int = 1000
    checkpoint_every: int = 1000

    @classmethod
    def from_config(cls, training: dict) -> "AdamSettings":
        schedule = tuple((int(d["step"]), float(d["factor"])) for d in training["schedule"])
        return cls(
            training["steps"],
            training["batch_size"],
            training["learning_rate"],
            schedule,
            training["seed"],
            training["log_every"],
            training["checkpoint_every"],
        )

    def learning_rate_at(self, step: int) -> float:
        """Rate for the update that follows `step` completed updates."""
        factor = 1.0
        for start, f in self.schedule:
            if step >= start:
                factor = f
        return self.learning_rate * factor


@dataclass(frozen=True)
class AdamState:
    """TensorFlow 1's AdamOptimizer state (beta1 0.9, beta2 0.999, epsilon 1e-8) of one model (m, v: (n_params,))
    or of K stacked ones ((K, n_params)); `step` counts completed updates."""

    m: np.ndarray
    v: np.ndarray
    step: int

    BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-8

    @classmethod
    def zeros_like(cls, theta: np.ndarray) -> "AdamState":
        return cls(np.zeros_like(theta), np.zeros_like(theta), 0)

    def arrays(self) -> dict[str, np.ndarray]:
        """As stored beside a model's parameters (io.save_model)."""
        return {"adam_m": self.m, "adam_v": self.v, "adam_step": np.array(self.step)}

    @classmethod
    def load(cls, path) -> "AdamState":
        a = io.load_arrays(path)
        with io.reading(path):
            return cls(a["adam_m"], a["adam_v"], int(a["adam_step"]))

    def tiled(self, k: int) -> "AdamState":
        """The state of K copies of this one model."""
        return AdamState(np.tile(self.m, (k, 1)), np.tile(self.v, (k, 1)), self.step)
