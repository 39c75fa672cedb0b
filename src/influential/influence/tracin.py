"""TracIn (Pruthi et al. 2020) over the recorded training trajectory; answers as the influence functions do
(influence.functions)."""

import logging
import time

import numpy as np

from influential.core import names
from influential.derivatives import gradients
from influential.influence.functions import objective_gradients, objective_or_loss
from influential.testpoints.cross_loss import BoundObjective
from influential.training.trajectory import Trajectory

# What the workflow caches for TracIn (and HYDRA), read by role (influence.inputs)
LOADERS = {names.TRAJECTORY: Trajectory.load}

log = logging.getLogger(__name__)


def chosen_checkpoints(trajectory: Trajectory, count: int) -> list[tuple[int, float]]:
    """TracInCP's checkpoints: `count` records spread evenly over training, its last included (the start, random
    weights, is none), each with the learning rate of the update made from it."""
    later = np.arange(1, len(trajectory.steps))
    records = np.unique(np.round(np.linspace(later[0], later[-1], min(count, len(later)))).astype(int))
    return [(int(r), trajectory.rate(min(int(trajectory.steps[r]), trajectory.last - 1))) for r in records]


class TracInInfluence:
    """TracInCP (Pruthi et al. 2020): the sum over recorded checkpoints k of rate_k g_test(theta_k) . g_z(theta_k),
    loss gradients without the regulariser (on the test side: the test objective's), `checkpoints` of them spread
    evenly over training (its last included). Positive: z is a proponent, leaving it out would raise the test loss.
    Its scale is the paper's, a sum of first-order loss reductions at the checkpoints, not a predicted loss change."""

    name = names.TRACIN

    def __init__(
        self, model, x_train, y_train, trajectory: Trajectory, checkpoints: int, batch_size: int = gradients.BATCH_SIZE
    ):
        self.model, self.x_train, self.y_train, self.trajectory = model, x_train, y_train, trajectory
        self.chosen = chosen_checkpoints(trajectory, checkpoints)
        self.records = np.array([record for record, _ in self.chosen])
        self.batch_size = batch_size
        self.diagnostics: list[dict] = []

    def _checkpoints(self):
        """Each checkpoint's parameters, learning rate and training-loss gradients (float64)."""
        for record, rate in self.chosen:
            theta = self.trajectory.thetas[record]
            train = gradients.per_example_gradients(self.model, theta, self.x_train, self.y_train, self.batch_size)
            yield theta, rate, train.astype(np.float64)

    def _log(self, started: float, what: str) -> list[dict]:
        steps, seconds = self.trajectory.steps[self.records].tolist(), time.perf_counter() - started
        log.info("tracin %s: %d checkpoints (steps %s) in %.1f s", what, len(steps), steps, seconds)
        return [{"estimator": self.name, "seconds": seconds, "checkpoints": steps}]

    def change_if_removed(self, x_test: np.ndarray, y_test: np.ndarray, objective: BoundObjective | None = None):
        objective = objective_or_loss(self.model, objective)
        started, total = time.perf_counter(), np.zeros((len(y_test), len(self.y_train)))
        for theta, rate, train in self._checkpoints():
            test = objective.gradients(theta, x_test, y_test, self.batch_size)
            total += rate * (test.astype(np.float64) @ train.T)
        self.diagnostics = self._log(started, "influence") * len(y_test)
        return total

    def all_pairs(self, x_test: np.ndarray, y_test: np.ndarray) -> np.ndarray:
        """Every (test, training) pair of the test examples' losses, float32: one pass over the checkpoints."""
        return self.change_if_removed(x_test, y_test).astype(np.float32)

    def change_for_objectives(self, objectives: list[BoundObjective], examples: list) -> np.ndarray:
        """TracIn of each test objective on its examples (pairs (x, y)) for every training point, (k, n_train):
        each checkpoint's training gradients formed once for all of them."""
        started, total = time.perf_counter(), np.zeros((len(objectives), len(self.y_train)))
        for theta, rate, train in self._checkpoints():
            tests = objective_gradients(theta, objectives, examples, self.batch_size)
            total += rate * (tests.astype(np.float64) @ train.T)
        self.diagnostics = self._log(started, "influence") * len(objectives)
        return total

    def change_of_summed_loss(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """TracIn of the summed loss of (x, y) for every training point, (n_train,): per checkpoint one product with
        the summed gradient."""
        objective = objective_or_loss(self.model, None)
        started, total = time.perf_counter(), np.zeros(len(self.y_train))
        for theta, rate, train in self._checkpoints():
            total += rate * (train @ objective.gradients(theta, x, y, self.batch_size).sum(axis=0).astype(np.float64))
        self.diagnostics = self._log(started, "of a summed loss")
        return total

    def self_influence(self) -> np.ndarray:
        """TracIn's self-influence (the paper's mislabel detector): sum over checkpoints of rate_k |g_z(theta_k)|^2."""
        started, total = time.perf_counter(), np.zeros(len(self.y_train))
        for _, rate, train in self._checkpoints():
            total += rate * np.einsum("ij,ij->i", train, train)
        self.diagnostics = self._log(started, "self-influence")
        return total


def build(settings: dict, model, x_train: np.ndarray, y_train: np.ndarray, *, trajectory: Trajectory):
    """TracIn from the settings it uses: `batch_size` and its section `tracin`."""
    return TracInInfluence(
        model, x_train, y_train, trajectory, settings["tracin"]["checkpoints"], settings["batch_size"]
    )
