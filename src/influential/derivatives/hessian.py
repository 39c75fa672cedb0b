"""Second derivatives of a model's training objective, for any model behind the model interface (see models): the
full Hessian, Hessian-vector products, and a factorisation that turns every later solve into two matrix products."""

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

from influential.core import io
from influential.core.errors import InputError
from influential.derivatives.gradients import BATCH_SIZE


def hessian(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Full Hessian of mean loss + regulariser over (x, y), in float64, symmetric."""
    h = model.loss_hessian(theta, x, y, batch_size) + model.regularizer_hessian(theta)
    return (h + h.T) / 2


def hessian_operator(
    model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, damping: float = 0.0, batch_size: int = BATCH_SIZE
):
    """v -> (H + damping I) v over the training set (`__call__`), and LiSSA's minibatch recursion (`recursion`),
    without forming H: the model's own operator."""
    return model.hessian_operator(theta, x, y, float(damping), batch_size)


@dataclass(frozen=True)
class FactorisedHessian:
    """Eigendecomposition of the Hessian H, or its leading part (`leading`); solves (H + damping I)^-1 V in two
    matrix products, on the span of the eigenvectors held."""

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    damping: float

    @classmethod
    def of(cls, h: np.ndarray, damping: float) -> "FactorisedHessian":
        eigenvalues, eigenvectors = scipy.linalg.eigh(h)
        return cls(eigenvalues, eigenvectors, float(damping))

    @property
    def damped_eigenvalues(self) -> np.ndarray:
        return self.eigenvalues + self.damping

    @property
    def positive_definite(self) -> bool:
        return bool(self.damped_eigenvalues.min() > 0)

    @classmethod
    def leading(
        cls, product, n_params: int, rank: int, krylov: int, seed: int, tol: float, damping: float
    ) -> "FactorisedHessian":
        """The `rank` eigenpairs of H largest in magnitude from Hessian-vector products `product` (v -> H v), by
        scipy's ARPACK Lanczos (the symmetric Arnoldi iteration, implicitly restarted) on a `krylov`-dimensional
        subspace started from a seeded vector; `solve` then inverts H + damping I on their span and drops the
        rest (Schioppa et al. 2022, who keep the largest eigenvalues)."""
        if not 0 < rank < n_params:
            raise InputError(f"influence.arnoldi.rank: {rank} must be between 1 and the model's {n_params - 1}")
        operator = scipy.sparse.linalg.LinearOperator((n_params, n_params), matvec=product, dtype=np.float64)
        start = np.random.default_rng(seed).standard_normal(n_params)
        eigenvalues, eigenvectors = scipy.sparse.linalg.eigsh(
            operator, k=rank, which="LM", v0=start, ncv=min(krylov, n_params), tol=tol
        )
        return cls(eigenvalues, eigenvectors, float(damping))

    def summary(self) -> dict:
        damped = self.damped_eigenvalues
        return {
            "n_params": len(self.eigenvalues),
            "damping": self.damping,
            "min_eigenvalue": float(self.eigenvalues.min()),
            "max_eigenvalue": float(self.eigenvalues.max()),
            "n_negative_eigenvalues": int(np.count_nonzero(self.eigenvalues < 0)),
            "damped_min_eigenvalue": float(damped.min()),
            "damped_positive_definite": self.positive_definite,
            "damped_condition_number": float(np.abs(damped).max() / np.abs(damped).min()),
        }

    def save(self, path, hessian: np.ndarray) -> None:
        """The Hessian itself beside its factorisation."""
        io.save_arrays(
            path,
            hessian=hessian,
            eigenvalues=self.eigenvalues,
            eigenvectors=self.eigenvectors,
            damping=np.array(self.damping),
        )

    @classmethod
    def load(cls, path) -> "FactorisedHessian":
        a = io.load_arrays(path)
        with io.reading(path):
            return cls(a["eigenvalues"], a["eigenvectors"], float(a["damping"]))

    def solve(self, v: np.ndarray) -> np.ndarray:
        """(H + damping I)^-1 v for v of shape (n_params,) or (n_params, k)."""
        damped = self.damped_eigenvalues
        if np.any(damped == 0):
            raise InputError("the damped Hessian is singular; raise influence.damping")
        coordinates = self.eigenvectors.T @ v
        scale = 1.0 / damped if coordinates.ndim == 1 else (1.0 / damped)[:, None]
        return self.eigenvectors @ (coordinates * scale)


class DenseHessianOperator:
    """v -> (H + damping I) v through the full Hessian, for models small enough to form it (see hessian_operator);
    LiSSA's recursion forms each minibatch's. H is formed on the first product only: an exact estimator that
    factorises its own Hessian never asks for one unless it reports a residual."""

    def __init__(self, model, theta, x, y, damping: float, batch_size: int):
        self.model, self.theta, self.x, self.y, self.batch_size = model, theta, x, y, batch_size
        self.shift = model.regularizer_hessian(theta) + damping * np.eye(model.n_params)
        self.n = len(y)

    @cached_property
    def matrix(self) -> np.ndarray:
        return self.model.loss_hessian(self.theta, self.x, self.y, self.batch_size) + self.shift

    def __call__(self, v: np.ndarray) -> np.ndarray:
        return self.matrix @ v

    def recursion(self, g: np.ndarray, batches: np.ndarray, scale: float) -> np.ndarray:
        """LiSSA: h <- g + h - (H_batch + damping I) h / scale over the rows of `batches`; returns h / scale."""
        h = g
        for batch in batches:
            batch_hessian = self.model.loss_hessian(self.theta, self.x[batch], self.y[batch], self.batch_size)
            h = g + h - (batch_hessian + self.shift) @ h / scale
        return h / scale
