"""Influence estimators behind one interface: build from a model, its parameters and the training data, then ask
for `loss_change_if_removed(x_test, y_test)`.

Sign convention (Koh & Liang eq. 2, with removal = up-weighting by -1/n): the predicted change of a test point's
loss when training point z is left out is

    (1/n) grad L(z_test)^T H^-1 grad R_z,

where H is the (damped) Hessian of the training objective and R_z the term that z contributes to it. Positive: the
test loss rises without z, so z helps the test prediction. Leave-one-out measures the same quantity as
L(z_test; theta_-z) - L(z_test; theta).
"""

import logging
import time

import numpy as np
import pandas as pd
import scipy.sparse.linalg
import tensorflow as tf

from influential import gradients, names
from influential import hessian as hs
from influential.data import Split
from influential.errors import InputError
from influential.names import PREDICTED

log = logging.getLogger(__name__)

SIGN_CONVENTION = "predicted L(test; theta_-z) - L(test; theta): positive = removing z raises the test loss"


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

    def loss_change_if_removed(self, x_test: np.ndarray, y_test: np.ndarray) -> np.ndarray:
        """Predicted change of each test loss when each training point is left out, shape (n_test, n_train)."""
        test_gradients = gradients.per_example_gradients(self.model, self.theta, x_test, y_test, self.batch_size)
        s_test = self.inverse_hvps(test_gradients)
        return (s_test.T @ self.removal.T) / len(self.removal)


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


ESTIMATORS = {cls.name: cls for cls in (ExactInfluence, ConjugateGradientInfluence, LissaInfluence)}


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
) -> InverseHvpInfluence:
    """The estimator `name` from the settings it uses: the experiment's `influence.damping` and
    `influence.batch_size`, and for cg and lissa their own section (`cg`, `lissa`) of the validated config."""
    if name not in ESTIMATORS:
        raise InputError(f"influence.estimators: unknown estimator {name!r} (known: {', '.join(ESTIMATORS)})")
    common = {"train_gradients": train_gradients, "batch_size": settings["batch_size"]}
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
