"""Influence estimators behind one interface: build from a model, its parameters and the training data (and, for
TracIn and HYDRA, its training trajectory), then ask for `change_if_removed(x_test, y_test, objective)`.

Sign convention (Koh & Liang eq. 2, with removal = up-weighting by -1/n): the predicted change of a test point's
objective f (its loss unless another test objective is given: cross-loss influence) when training point z is left
out is

    (1/n) grad f(z_test)^T H^-1 grad R_z,

where H is the (damped) Hessian of the training objective and R_z the term that z contributes to it. Positive: f
rises without z (for the loss: z helps the test prediction). Leave-one-out measures the same quantity as
f(z_test; theta_-z) - f(z_test; theta).
"""

import logging
import time

import numpy as np
import pandas as pd
import scipy.sparse.linalg
import tensorflow as tf

from influential.core import io, names
from influential.core.errors import InputError
from influential.core.names import PREDICTED
from influential.data.splits import Split
from influential.derivatives import gradients
from influential.derivatives import hessian as hs
from influential.influence import hydra
from influential.loo.retrain import RetrainSettings
from influential.testpoints.cross_loss import BoundObjective, bind
from influential.testpoints.objectives import Objective
from influential.training.adam import AdamSettings
from influential.training.trajectory import Trajectory, walk

log = logging.getLogger(__name__)


def objective_or_loss(model, objective: BoundObjective | None) -> BoundObjective:
    """The objective whose gradient an estimator uses on the test side: the training loss unless given."""
    return objective or bind(Objective(), model, None)


class InverseHvpInfluence:
    """Influence through s_test = (H + damping I)^-1 grad L(test); subclasses say how that system is solved.

    `train_gradients` (per-example training-loss gradients) can be given ready-made so a workflow caches them.
    After each call, `diagnostics` holds one dict per test point (seconds, relative residual, solver facts).
    """

    name = ""

    def __init__(
        self,
        model,
        theta: np.ndarray,
        x_train: np.ndarray,
        y_train: np.ndarray,
        damping: float = 0.0,
        *,
        train_gradients: np.ndarray | None = None,
        batch_size: int = 512,
    ):
        self.model, self.theta, self.damping, self.batch_size = model, theta, float(damping), batch_size
        if train_gradients is None:
            train_gradients = gradients.per_example_gradients(model, theta, x_train, y_train, batch_size)
        self.train_gradients = train_gradients
        self.removal = gradients.removal_gradients(model, theta, train_gradients)
        self.operator = hs.HessianOperator(model, theta, x_train, y_train, damping, batch_size)
        self.diagnostics: list[dict] = []

    def solve(self, gradient: np.ndarray) -> tuple[np.ndarray, dict]:
        raise NotImplementedError

    def inverse_hvps(self, gradients: np.ndarray) -> np.ndarray:
        """(H + damping I)^-1 applied to each row of `gradients`, returned as columns (n_params, k)."""
        columns, self.diagnostics = [], []
        for gradient in gradients:
            started = time.perf_counter()
            s, facts = self.solve(gradient)
            seconds = time.perf_counter() - started
            residual = np.linalg.norm(self.operator(s) - gradient) / np.linalg.norm(gradient)
            self.diagnostics.append(
                {"estimator": self.name, "seconds": seconds, "relative_residual": residual, **facts}
            )
            log.info("%s: solved in %.2f s, relative residual %.2e %s", self.name, seconds, residual, facts)
            columns.append(s)
        return np.stack(columns, axis=1)

    def change_if_removed(self, x_test: np.ndarray, y_test: np.ndarray, objective: BoundObjective | None = None):
        """Predicted change of each test example's objective (default: its loss) when each training point is left
        out, shape (n_test, n_train)."""
        test_gradients = objective_or_loss(self.model, objective).gradients(self.theta, x_test, y_test, self.batch_size)
        s_test = self.inverse_hvps(test_gradients)
        return (s_test.T @ self.removal.T) / len(self.removal)

    def self_influence(self) -> np.ndarray:
        """Each training point's predicted change of its own loss if it were left out, (1/n) grad L(z)^T
        (H + damping I)^-1 grad R_z: a mislabelled point is fitted against its neighbours, so removing it raises
        its own loss the most. One solve per training point."""
        return self_influence(self.train_gradients, self.inverse_hvps(self.removal))


def self_influence(loss_gradients: np.ndarray, solved_removal: np.ndarray) -> np.ndarray:
    """(1/n) grad L(z) . s_z for every z, the rows of loss_gradients against the columns s_z = H^-1 grad R_z."""
    return np.einsum("ij,ji->i", loss_gradients, solved_removal) / len(loss_gradients)


class ExactInfluence(InverseHvpInfluence):
    """Full Hessian, eigendecomposed once; each test point then costs one gradient and two matrix products.

    `factorised` can be given ready-made (a cached Hessian); it carries the damping.
    """

    name = names.EXACT

    def __init__(self, model, theta, x_train, y_train, damping: float = 0.0, *, factorised=None, **kwargs):
        if factorised is None:
            h = hs.hessian(model, theta, x_train, y_train, kwargs.get("batch_size", 512))
            factorised = hs.FactorisedHessian.of(h, damping)
        super().__init__(model, theta, x_train, y_train, factorised.damping, **kwargs)
        self.factorised = factorised
        if not factorised.positive_definite:
            log.warning("damped Hessian is not positive definite: %s", factorised.summary())

    def solve(self, gradient):
        return self.factorised.solve(gradient), {}

    def self_influence(self) -> np.ndarray:
        """As the other solvers', with every solve at once through the factorisation."""
        return self_influence(self.train_gradients, self.factorised.solve(self.removal.T))

    def all_pairs(self, x_test: np.ndarray, y_test: np.ndarray) -> np.ndarray:
        """Every (test, training) pair at once, float32, without per-point diagnostics."""
        test_gradients = gradients.per_example_gradients(self.model, self.theta, x_test, y_test, self.batch_size)
        s_test = self.factorised.solve(test_gradients.T)
        return ((s_test.T @ self.removal.T) / len(self.removal)).astype(np.float32)


class ConjugateGradientInfluence(InverseHvpInfluence):
    """Conjugate gradients (scipy) on Hessian-vector products over the whole training set, per test point."""

    name = names.CG

    def __init__(self, *args, tol: float = 1e-6, max_iter: int = 100, **kwargs):
        super().__init__(*args, **kwargs)
        self.tol, self.max_iter = tol, max_iter

    def solve(self, gradient):
        n = len(gradient)
        operator = scipy.sparse.linalg.LinearOperator((n, n), matvec=self.operator, dtype=np.float64)
        iterations = 0

        def count(_):
            nonlocal iterations
            iterations += 1

        s, info = scipy.sparse.linalg.cg(
            operator, gradient.astype(np.float64), rtol=self.tol, maxiter=self.max_iter, callback=count
        )
        return s, {"iterations": iterations, "converged": info == 0}


class LissaInfluence(InverseHvpInfluence):
    """The thesis' Algorithm 1 (Agarwal et al.'s LiSSA as Koh & Liang ran it): h <- g + h - (H_batch + damping) h /
    scale over `depth` minibatches drawn uniformly (without replacement within a minibatch), s = h / scale,
    averaged over `repeats`. Its fixed point is exactly
    (H + damping I)^-1 g; it converges only if scale exceeds the largest eigenvalue of H + damping I."""

    name = names.LISSA

    def __init__(
        self,
        *args,
        scale: float = 10.0,
        depth: int = 10000,
        repeats: int = 1,
        sample_size: int = 1,
        seed: int = 0,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.scale, self.depth, self.repeats, self.sample_size = scale, depth, repeats, sample_size
        self.rng = np.random.default_rng(seed)
        self._recursion = tf.function(self._recurse)

    def _recurse(self, g, batches):
        h = g
        for t in tf.range(tf.shape(batches)[0]):
            h = g + h - self.operator.on(batches[t], h) / self.scale
        return h / self.scale

    def solve(self, gradient):
        g = tf.constant(gradient, self.operator.theta.dtype)
        estimates = []
        for _ in range(self.repeats):
            n = self.operator.n
            batches = np.stack([self.rng.choice(n, self.sample_size, replace=False) for _ in range(self.depth)])
            estimates.append(self._recursion(g, tf.constant(batches)).numpy())
        s = np.mean(estimates, axis=0).astype(np.float64)
        if not np.all(np.isfinite(s)):
            raise InputError(
                f"lissa diverged: influence.lissa.scale {self.scale} must exceed the largest eigenvalue of the "
                "damped Hessian (see hessian/spectrum.json)"
            )
        return s, {"spread": float(np.std(estimates, axis=0).mean()) if self.repeats > 1 else float("nan")}


def table(train: Split, estimator: str, test: str, change: np.ndarray) -> pd.DataFrame:
    """One estimator's predicted loss changes for one test point, one row per training point."""
    return pd.DataFrame(
        {
            "estimator": estimator,
            "test": test,
            "train_position": np.arange(len(train)),
            "train_index": train.index,
            "label": train.y,
            PREDICTED: change,
        }
    )


class TracInInfluence:
    """TracInCP (Pruthi et al. 2020): the sum over recorded checkpoints k of rate_k g_test(theta_k) . g_z(theta_k),
    loss gradients without the regulariser (on the test side: the test objective's), `checkpoints` of them spread
    evenly over training (its last included). Positive: z is a proponent, leaving it out would raise the test loss.
    Its scale is the paper's, a sum of first-order loss reductions at the checkpoints, not a predicted loss change."""

    name = names.TRACIN

    def __init__(self, model, x_train, y_train, trajectory: Trajectory, checkpoints: int, batch_size: int = 512):
        self.model, self.x_train, self.y_train, self.trajectory = model, x_train, y_train, trajectory
        later = np.arange(1, len(trajectory.steps))  # the start (random weights) is no checkpoint
        self.records = np.unique(np.round(np.linspace(later[0], later[-1], min(checkpoints, len(later)))).astype(int))
        self.batch_size = batch_size
        self.diagnostics: list[dict] = []

    def _checkpoints(self):
        """Each checkpoint's parameters, learning rate and training-loss gradients (float64)."""
        for record, step in zip(self.records, self.trajectory.steps[self.records], strict=True):
            theta = self.trajectory.thetas[record]
            rate = self.trajectory.rate(min(int(step), self.trajectory.last - 1))
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

    def self_influence(self) -> np.ndarray:
        """TracIn's self-influence (the paper's mislabel detector): sum over checkpoints of rate_k |g_z(theta_k)|^2."""
        started, total = time.perf_counter(), np.zeros(len(self.y_train))
        for _, rate, train in self._checkpoints():
            total += rate * np.einsum("ij,ij->i", train, train)
        self.diagnostics = self._log(started, "self-influence")
        return total


class HydraInfluence:
    """HYDRA (see influential.hydra) over a trajectory: the predicted loss change of leaving z out of every minibatch
    of the run, -g_test(theta_last) . d theta_last / d w_z, by one adjoint sweep per test point. Hessian-aware
    (`hydra`) carries the minibatch Hessian; Hessian-free (`hydra_free`) only the weight decay's."""

    def __init__(self, model, x_train, y_train, trajectory: Trajectory, hessian_aware: bool, batch_size: int = 512):
        self.model, self.x_train, self.y_train, self.trajectory = model, x_train, y_train, trajectory
        self.hessian_aware, self.batch_size = hessian_aware, batch_size
        self.name = names.HYDRA if hessian_aware else names.HYDRA_FREE
        self.diagnostics: list[dict] = []

    def change_if_removed(self, x_test: np.ndarray, y_test: np.ndarray, objective: BoundObjective | None = None):
        last = self.trajectory.thetas[-1]
        test_gradients = objective_or_loss(self.model, objective).gradients(last, x_test, y_test, self.batch_size)
        rows, self.diagnostics = [], []
        for g in test_gradients:
            started = time.perf_counter()
            rows.append(
                hydra.sensitivities(self.model, self.trajectory, self.x_train, self.y_train, -g, self.hessian_aware)
            )
            seconds = time.perf_counter() - started
            window = [self.trajectory.first, int(self.trajectory.steps[-1])]
            self.diagnostics.append({"estimator": self.name, "seconds": seconds, "window": window})
            log.info("%s: steps %d-%d walked back in %.1f s", self.name, *window, seconds)
        return np.stack(rows)


ESTIMATORS = {
    **{cls.name: cls for cls in (ExactInfluence, ConjugateGradientInfluence, LissaInfluence, TracInInfluence)},
    names.HYDRA: HydraInfluence,
    names.HYDRA_FREE: HydraInfluence,
}


def build(
    name: str,
    settings: dict,
    model,
    theta: np.ndarray,
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    train_gradients: np.ndarray | None = None,
    factorised=None,
    trajectory: Trajectory | None = None,
):
    """The estimator `name` from the settings it uses: the experiment's `influence.damping` and
    `influence.batch_size`, its own section (names.SETTINGS_SECTIONS) of the validated config, and for HYDRA over
    the retraining window the leave-one-out settings (`retrain`) and the training schedule (`schedule`). TracIn and
    HYDRA read the training `trajectory`."""
    if name not in ESTIMATORS:
        raise InputError(f"influence.estimators: unknown estimator {name!r} (known: {', '.join(ESTIMATORS)})")
    batch_size = settings["batch_size"]
    if name == names.TRACIN:
        return TracInInfluence(model, x_train, y_train, trajectory, settings["tracin"]["checkpoints"], batch_size)
    if name in (names.HYDRA, names.HYDRA_FREE):
        if settings["hydra"]["window"] == "retrain":
            control = RetrainSettings.from_config(settings["retrain"]).control(
                model, *trajectory.state(-1), AdamSettings.from_config(settings["schedule"])
            )
            trajectory = walk(model, control, x_train, y_train, settings["hydra"]["segment"])
        return HydraInfluence(model, x_train, y_train, trajectory, name == names.HYDRA, batch_size)
    common = {"train_gradients": train_gradients, "batch_size": batch_size}
    args = (model, theta, x_train, y_train, settings["damping"])
    if name == names.EXACT:
        return ExactInfluence(*args, factorised=factorised, **common)
    if name == names.CG:
        cg = settings[names.CG]
        return ConjugateGradientInfluence(*args, tol=cg["tol"], max_iter=cg["max_iter"], **common)
    lissa = settings[names.LISSA]
    return LissaInfluence(
        *args,
        scale=lissa["scale"],
        depth=lissa["depth"],
        repeats=lissa["repeats"],
        sample_size=lissa["batch_size"],
        seed=lissa["seed"],
        **common,
    )


def from_files(name: str, settings: dict, model, theta: np.ndarray, train: Split, inputs) -> object:
    """`build` with what a workflow job cached, read from its input files by role (estimator_inputs in
    workflow/rules/common.smk): train_gradients, hessian (exact), trajectory (TracIn, HYDRA)."""
    train_gradients, hessian, trajectory = (inputs.get(role) for role in ("train_gradients", "hessian", "trajectory"))
    return build(
        name,
        settings,
        model,
        theta,
        train.x,
        train.y,
        train_gradients=io.load_arrays(train_gradients)["gradients"] if train_gradients else None,
        factorised=hs.FactorisedHessian.load(hessian) if hessian else None,
        trajectory=Trajectory.load(trajectory) if trajectory else None,
    )
