"""Second-order machinery on a model's training objective, with TensorFlow gradients: per-example gradients, the
full Hessian, Hessian-vector products, and a factorisation that turns every later solve into two matrix products.
"""

import logging
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import tensorflow as tf

log = logging.getLogger(__name__)


def _batches(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def per_example_gradients(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Gradients of loss(theta, z_i) for every example, shape (n, n_params); no regulariser."""
    t = tf.constant(theta)
    rows = []
    for b in _batches(len(y), batch_size):
        with tf.GradientTape() as tape:
            tape.watch(t)
            losses = model.loss(t, x[b], y[b])
        rows.append(tape.jacobian(losses, t).numpy())
    return np.concatenate(rows) if rows else np.zeros((0, len(theta)))


def regularizer_gradient(model, theta: np.ndarray) -> np.ndarray:
    t = tf.constant(theta)
    with tf.GradientTape() as tape:
        tape.watch(t)
        r = model.regularizer(t)
    return tape.gradient(r, t).numpy()


def removal_gradients(model, theta: np.ndarray, train_gradients: np.ndarray) -> np.ndarray:
    """Gradient of the term that leaving each training point out removes from the objective, times n."""
    if model.removal_includes_regularizer:
        return train_gradients + regularizer_gradient(model, theta)
    return train_gradients


def objective_gradient(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Gradient of mean loss + regulariser over (x, y)."""
    t = tf.constant(theta)
    total = regularizer_gradient(model, theta)
    for b in _batches(len(y), batch_size):
        with tf.GradientTape() as tape:
            tape.watch(t)
            part = tf.reduce_sum(model.loss(t, x[b], y[b])) / len(y)
        total = total + tape.gradient(part, t).numpy()
    return total


def hessian(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Full Hessian of mean loss + regulariser over (x, y), accumulated over batches, symmetrised."""
    t = tf.constant(theta)
    n = len(y)

    def block(xb, yb, weight, with_regularizer):
        with tf.GradientTape() as outer:
            outer.watch(t)
            with tf.GradientTape() as inner:
                inner.watch(t)
                value = tf.reduce_sum(model.loss(t, xb, yb)) * weight
                if with_regularizer:
                    value += model.regularizer(t)
            g = inner.gradient(value, t)
        return outer.jacobian(g, t).numpy()

    h = np.zeros((len(theta), len(theta)), dtype=theta.dtype)
    for i, b in enumerate(_batches(n, batch_size)):
        h += block(x[b], y[b], 1.0 / n, with_regularizer=i == 0)
        log.info("Hessian: %d of %d training examples", b.stop, n)
    return (h + h.T) / 2


def hessian_vector_product(
    model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, v: np.ndarray, batch_size: int = 512
) -> np.ndarray:
    """H v for the Hessian of mean loss + regulariser, by differentiating g . v (no Hessian is formed)."""
    t = tf.constant(theta)
    vt = tf.constant(v.astype(theta.dtype))
    n = len(y)
    total = np.zeros_like(theta)
    for i, b in enumerate(_batches(n, batch_size)):
        with tf.GradientTape() as outer:
            outer.watch(t)
            with tf.GradientTape() as inner:
                inner.watch(t)
                value = tf.reduce_sum(model.loss(t, x[b], y[b])) / n
                if i == 0:
                    value += model.regularizer(t)
            g = inner.gradient(value, t)
            gv = tf.reduce_sum(g * vt)
        total += outer.gradient(gv, t).numpy()
    return total


@dataclass(frozen=True)
class FactorisedHessian:
    """Eigendecomposition of the Hessian H; solves (H + damping I)^-1 V in two matrix products."""

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

    def solve(self, v: np.ndarray) -> np.ndarray:
        """(H + damping I)^-1 v for v of shape (n_params,) or (n_params, k)."""
        damped = self.damped_eigenvalues
        if np.any(damped == 0):
            raise np.linalg.LinAlgError("the damped Hessian is singular; raise influence.damping")
        coordinates = self.eigenvectors.T @ v
        scale = 1.0 / damped if coordinates.ndim == 1 else (1.0 / damped)[:, None]
        return self.eigenvectors @ (coordinates * scale)
