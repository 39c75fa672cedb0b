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
    """Gradients of loss(theta, z_i) for every example, shape (n, n_params); no regulariser.

    Models with a closed-form batched formula (the all-CNN) provide `per_example_gradients`; otherwise each
    batch's Jacobian comes from TensorFlow's vectorised `tape.jacobian`.
    """
    rows = []
    for b in _batches(len(y), batch_size):
        if hasattr(model, "per_example_gradients"):
            rows.append(model.per_example_gradients(theta, x[b], y[b]))
            continue
        t = tf.constant(theta)
        with tf.GradientTape() as tape:
            tape.watch(t)
            losses = model.loss(t, x[b], y[b])
        rows.append(tape.jacobian(losses, t).numpy())
    return np.concatenate(rows) if rows else np.zeros((0, len(theta)), dtype=theta.dtype)


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


def regularizer_hessian(model, theta: np.ndarray) -> np.ndarray:
    t = tf.constant(theta)
    with tf.GradientTape() as outer:
        outer.watch(t)
        with tf.GradientTape() as inner:
            inner.watch(t)
            r = model.regularizer(t)
        g = inner.gradient(r, t)
    return outer.jacobian(g, t).numpy().astype(np.float64)


def hessian(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Full Hessian of mean loss + regulariser over (x, y), in float64, symmetric.

    Models with a structured formula (the all-CNN's layer-block scheme) provide `loss_hessian`; otherwise each
    batch's Hessian is the Jacobian of its gradient.
    """
    n = len(y)
    if hasattr(model, "loss_hessian"):
        h = model.loss_hessian(theta, x, y, batch_size=batch_size) / n
    else:
        t = tf.constant(theta)
        h = np.zeros((len(theta), len(theta)))
        for b in _batches(n, batch_size):
            with tf.GradientTape() as outer:
                outer.watch(t)
                with tf.GradientTape() as inner:
                    inner.watch(t)
                    value = tf.reduce_sum(model.loss(t, x[b], y[b])) / n
                g = inner.gradient(value, t)
            h += outer.jacobian(g, t).numpy()
            log.info("Hessian: %d of %d training examples", b.stop, n)
    h = h + regularizer_hessian(model, theta)
    return (h + h.T) / 2


class HessianOperator:
    """v -> (H + damping I) v for the Hessian of mean loss + regulariser over a training set, compiled.

    `__call__` averages over the whole set (conjugate gradients); `on(batch, v)` over the examples at the
    given positions only (the sampled Hessians of LiSSA). No Hessian is formed.
    """

    def __init__(
        self, model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, damping: float = 0.0, batch_size: int = 512
    ):
        self.model, self.damping, self.batch_size = model, float(damping), batch_size
        self.theta = tf.constant(theta)
        self.x, self.y = tf.constant(x), tf.constant(y)
        self.n = len(y)
        self._summed = tf.function(self._summed_loss_hvp)
        self._regularizer = tf.function(self._regularizer_hvp)

    def _summed_loss_hvp(self, xb, yb, v):
        with tf.autodiff.ForwardAccumulator(self.theta, v) as acc:
            with tf.GradientTape() as tape:
                tape.watch(self.theta)
                value = tf.reduce_sum(self.model.loss(self.theta, xb, yb))
            gradient = tape.gradient(value, self.theta)
        return acc.jvp(gradient)

    def _regularizer_hvp(self, v):
        with tf.autodiff.ForwardAccumulator(self.theta, v) as acc:
            with tf.GradientTape() as tape:
                tape.watch(self.theta)
                value = self.model.regularizer(self.theta)
            gradient = tape.gradient(value, self.theta)
        return acc.jvp(gradient) + self.damping * v

    def __call__(self, v: np.ndarray) -> np.ndarray:
        vt = tf.constant(v, self.theta.dtype)
        total = self._regularizer(vt)
        for start in range(0, self.n, self.batch_size):
            stop = start + self.batch_size
            total += self._summed(self.x[start:stop], self.y[start:stop], vt) / self.n
        return total.numpy()

    def on(self, batch: np.ndarray, v: tf.Tensor) -> tf.Tensor:
        """(H_batch + damping I) v with H_batch the Hessian of mean loss over `batch` + regulariser."""
        xb, yb = tf.gather(self.x, batch), tf.gather(self.y, batch)
        return self._summed(xb, yb, v) / len(batch) + self._regularizer(v)


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
