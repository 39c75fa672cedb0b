"""Influence functions (exact, CG, LiSSA, Arnoldi): build from a model, its parameters and the training data, then
ask for `change_if_removed(x_test, y_test, objective)`, as every estimator (influence.tracin, influence.hydra)
answers.

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
from functools import cached_property

import numpy as np
import scipy.sparse.linalg

from influential.core import io, names
from influential.core.errors import InputError
from influential.derivatives import gradients
from influential.derivatives import hessian as hs
from influential.testpoints.cross_loss import BoundObjective, bind
from influential.testpoints.objectives import Objective

log = logging.getLogger(__name__)


def load_train_gradients(path) -> np.ndarray:
    return io.load_arrays(path)["gradients"]


# What the workflow caches for these estimators, read by role (influence.inputs)
LOADERS = {names.TRAIN_GRADIENTS: load_train_gradients, names.HESSIAN: hs.FactorisedHessian.load}


def objective_or_loss(model, objective: BoundObjective | None) -> BoundObjective:
    """The objective whose gradient an estimator uses on the test side: the training loss unless given."""
    return objective or bind(Objective(), model, None)


def objective_gradients(theta: np.ndarray, objectives: list, examples: list, batch_size: int) -> np.ndarray:
    """Each test objective's gradient at theta on its own example (pairs (x, y) of one example), a row each: the
    losses among them as one batch of per-example gradients, every other objective on its own."""
    rows: list = [None] * len(objectives)
    losses = [i for i, objective in enumerate(objectives) if objective.is_loss]
    if losses:
        x, y = (np.concatenate([examples[i][part] for i in losses]) for part in (0, 1))
        for i, row in zip(losses, objectives[losses[0]].gradients(theta, x, y, batch_size), strict=True):
            rows[i] = row
    for i, (objective, (x, y)) in enumerate(zip(objectives, examples, strict=True)):
        if rows[i] is None:
            rows[i] = objective.gradients(theta, x, y, batch_size)[0]
    return np.stack(rows)


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
        batch_size: int = gradients.BATCH_SIZE,
    ):
        self.model, self.theta, self.damping, self.batch_size = model, theta, float(damping), batch_size
        self.x_train, self.y_train, self._given_gradients = x_train, y_train, train_gradients
        self.operator = hs.hessian_operator(model, theta, x_train, y_train, damping, batch_size)
        self.diagnostics: list[dict] = []

    @cached_property
    def train_gradients(self) -> np.ndarray:
        if self._given_gradients is not None:
            return self._given_gradients
        return gradients.per_example_gradients(self.model, self.theta, self.x_train, self.y_train, self.batch_size)

    @cached_property
    def removal(self) -> np.ndarray:
        return gradients.removal_gradients(self.model, self.theta, self.train_gradients)

    def removal_products(self, columns: np.ndarray) -> np.ndarray:
        """Each column of `columns` (n_params, k) dotted with every training point's removal gradient, (k, n):
        through the per-example gradients, or, for a model whose gradients are too many to hold (one with
        `per_example_jvps`) and none were given, by forward-mode differentiation without forming them."""
        if self._given_gradients is not None or not hasattr(self.model, "per_example_jvps"):
            return columns.T @ self.removal.T
        return gradients.removal_products(self.model, self.theta, self.x_train, self.y_train, columns, self.batch_size)

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
        return self.change_for_gradients(test_gradients)

    def change_of_summed_loss(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Predicted change of the summed loss of the examples (x, y) (a clean validation set) when each training
        point is left out, (n_train,): one solve with the summed gradient, since the estimate is linear in it."""
        summed = objective_or_loss(self.model, None).gradients(self.theta, x, y, self.batch_size).sum(axis=0)
        return self.change_for_gradients(summed[None])[0]

    def change_for_objectives(self, objectives: list[BoundObjective], examples: list) -> np.ndarray:
        """Predicted change of each test objective on its examples (pairs (x, y) of one test example) when each
        training point is left out, (k, n_train), the solves together."""
        return self.change_for_gradients(objective_gradients(self.theta, objectives, examples, self.batch_size))

    def change_for_gradients(self, test_gradients: np.ndarray) -> np.ndarray:
        """Predicted change of each objective whose gradients are the rows of `test_gradients` when each training
        point is left out, shape (k, n_train)."""
        return self.removal_products(self.inverse_hvps(test_gradients)) / len(self.y_train)

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
            h = hs.hessian(model, theta, x_train, y_train, kwargs.get("batch_size", gradients.BATCH_SIZE))
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

    def matrix(self, test_gradients: np.ndarray) -> np.ndarray:
        """The predicted change of every test objective whose gradients are the rows of `test_gradients`, for every
        training point, (n_test, n_train), all at once and without per-point diagnostics."""
        return (self.factorised.solve(test_gradients.T).T @ self.removal.T) / len(self.removal)

    def all_pairs(self, x_test: np.ndarray, y_test: np.ndarray) -> np.ndarray:
        """Every (test, training) pair of the test examples' losses, float32."""
        test_gradients = gradients.per_example_gradients(self.model, self.theta, x_test, y_test, self.batch_size)
        return self.matrix(test_gradients).astype(np.float32)


class ArnoldiInfluence(ExactInfluence):
    """Arnoldi influence (Schioppa et al. 2022) for models too large to form the Hessian: its `rank` eigenpairs
    largest in magnitude from Hessian-vector products over the training set (FactorisedHessian.leading), once; each
    test point then costs what the exact one's does, through the inverse on their span."""

    name = names.ARNOLDI

    def __init__(self, model, theta, x_train, y_train, damping: float = 0.0, *, rank, krylov, seed, tol, **kwargs):
        batch_size = kwargs.get("batch_size", gradients.BATCH_SIZE)
        product = hs.hessian_operator(model, theta, x_train, y_train, 0.0, batch_size)
        started = time.perf_counter()
        factorised = hs.FactorisedHessian.leading(product, model.n_params, rank, krylov, seed, tol, damping)
        log.info("arnoldi: %d eigenpairs in %.1f s: %s", rank, time.perf_counter() - started, factorised.summary())
        super().__init__(model, theta, x_train, y_train, damping, factorised=factorised, **kwargs)


class ConjugateGradientInfluence(InverseHvpInfluence):
    """Conjugate gradients (scipy) on Hessian-vector products over the whole training set, per test point."""

    name = names.CG

    def __init__(self, *args, tol: float, max_iter: int, **kwargs):
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
        scale: float,
        depth: int,
        repeats: int,
        sample_size: int,
        seed: int,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.scale, self.depth, self.repeats, self.sample_size = scale, depth, repeats, sample_size
        self.rng = np.random.default_rng(seed)

    def solve(self, gradient):
        estimates = []
        for _ in range(self.repeats):
            n = self.operator.n
            batches = np.stack([self.rng.choice(n, self.sample_size, replace=False) for _ in range(self.depth)])
            estimates.append(self.operator.recursion(gradient, batches, self.scale))
        s = np.mean(estimates, axis=0).astype(np.float64)
        if not np.all(np.isfinite(s)):
            raise InputError(
                f"lissa diverged: influence.lissa.scale {self.scale} must exceed the largest eigenvalue of the "
                "damped Hessian (see hessian/spectrum.json)"
            )
        return s, {"spread": float(np.std(estimates, axis=0).mean()) if self.repeats > 1 else float("nan")}


def build(
    name: str,
    settings: dict,
    model,
    theta: np.ndarray,
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    train_gradients: np.ndarray | None = None,
    factorised: hs.FactorisedHessian | None = None,
):
    """The influence function `name` from the settings it uses (workflow/rules/common.smk settings_of): `damping`,
    `batch_size` and its own section (names.SETTINGS_SECTIONS); what a workflow cached can be given ready-made."""
    if name not in names.INFLUENCE_FUNCTIONS:
        known = ", ".join(names.INFLUENCE_FUNCTIONS)
        raise InputError(f"influence.estimators: {name!r} is no influence function (known: {known})")
    common = {"train_gradients": train_gradients, "batch_size": settings["batch_size"]}
    args = (model, theta, x_train, y_train, settings["damping"])
    if name == names.EXACT:
        return ExactInfluence(*args, factorised=factorised, **common)
    if name == names.ARNOLDI:
        arnoldi = settings[names.ARNOLDI]
        return ArnoldiInfluence(
            *args, rank=arnoldi["rank"], krylov=arnoldi["krylov"], seed=arnoldi["seed"], tol=arnoldi["tol"], **common
        )
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
