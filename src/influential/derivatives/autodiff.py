"""Derivatives of a TensorFlow model's training objective by automatic differentiation: what a model written as
tensor functions of one flat parameter vector (models.autodiff) gets without formulas of its own."""

import logging

import numpy as np
import tensorflow as tf

from influential.derivatives.gradients import batches

log = logging.getLogger(__name__)

# Hessian columns differentiated at once, and examples per batch while they are: the vectorised products hold a
# copy of the batch's activations per column (the all-CNN as a Keras model: 2,616 columns of 40 images took over
# 20 GB; 64 columns of 500 images over 14 GB, 64 of 100 about 3)
HESSIAN_COLUMNS_AT_ONCE = 64
HESSIAN_EXAMPLES_AT_ONCE = 100
# Examples per Jacobian of per-example losses: the vectorised backward pass of each loss runs over the whole batch,
# so memory and time grow with its square (the all-CNN as a Keras model, batches of 500: over 15 GB)
JACOBIAN_EXAMPLES_AT_ONCE = 50


def per_example_gradients(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
    """The Jacobian of each batch's per-example losses, shape (n, n_params)."""
    t, rows = tf.constant(theta), []
    for b in batches(len(y), min(batch_size, JACOBIAN_EXAMPLES_AT_ONCE)):
        with tf.GradientTape() as tape:
            tape.watch(t)
            losses = model.loss(t, x[b], y[b])
        rows.append(tape.jacobian(losses, t).numpy())
    return np.concatenate(rows) if rows else np.zeros((0, len(theta)), dtype=theta.dtype)


def per_example_jvps(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, columns: np.ndarray, batch_size: int):
    """Each example's loss gradient dotted with each column of `columns` (n_params, k), shape (k, n), by
    forward-mode differentiation: one pass over the examples per column, no gradient formed."""
    t = tf.constant(theta)

    @tf.function
    def along(xb, yb, v):
        with tf.autodiff.ForwardAccumulator(t, v) as acc:
            losses = model.loss(t, xb, yb)
        return acc.jvp(losses)

    rows = []
    for column in np.asarray(columns).T:
        v = tf.constant(column, t.dtype)
        rows.append(np.concatenate([along(x[b], y[b], v).numpy() for b in batches(len(y), batch_size)]))
    return np.stack(rows) if rows else np.zeros((0, len(y)))


def loss_gradient(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int, n: int) -> np.ndarray:
    """Gradient of the summed loss over (x, y) divided by n."""
    t, total = tf.constant(theta), np.zeros_like(theta)
    for b in batches(len(y), batch_size):
        with tf.GradientTape() as tape:
            tape.watch(t)
            part = tf.reduce_sum(model.loss(t, x[b], y[b])) / n
        total = total + tape.gradient(part, t).numpy()
    return total


def loss_hessian(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
    """Hessian of the mean loss over (x, y), float64, HESSIAN_COLUMNS_AT_ONCE columns at a time as vectorised
    Hessian-vector products over batches of at most HESSIAN_EXAMPLES_AT_ONCE examples."""
    operator, p = HessianOperator(model, theta, x, y, 0.0, min(batch_size, HESSIAN_EXAMPLES_AT_ONCE)), len(theta)
    h = np.zeros((p, p))
    for start in range(0, p, HESSIAN_COLUMNS_AT_ONCE):
        stop = min(start + HESSIAN_COLUMNS_AT_ONCE, p)
        h[start:stop] = operator.loss_products(np.eye(p, dtype=theta.dtype)[start:stop])
        log.info("Hessian: %d of %d columns", stop, p)
    return (h + h.T) / 2  # symmetric up to rounding: rows are products, columns their transposes


def regularizer_gradient(model, theta: np.ndarray) -> np.ndarray:
    t = tf.constant(theta)
    with tf.GradientTape() as tape:
        tape.watch(t)
        r = model.regularizer(t)
    return tape.gradient(r, t).numpy()


def regularizer_hessian(model, theta: np.ndarray) -> np.ndarray:
    t = tf.constant(theta)
    with tf.GradientTape() as outer:
        outer.watch(t)
        with tf.GradientTape() as inner:
            inner.watch(t)
            r = model.regularizer(t)
        g = inner.gradient(r, t)
    return outer.jacobian(g, t).numpy().astype(np.float64)


class HessianOperator:
    """v -> (H + damping I) v for the Hessian of mean loss + regulariser over a training set, compiled.

    `__call__` averages over the whole set (conjugate gradients); `recursion` runs LiSSA's minibatch recursion
    (its sampled Hessians) in one compiled loop. No Hessian is formed.
    """

    def __init__(self, model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, damping: float, batch_size: int):
        self.model, self.damping, self.batch_size = model, float(damping), batch_size
        self.theta = tf.constant(theta)
        self.x, self.y = tf.constant(x), tf.constant(y)
        self.n = len(y)
        self._summed = tf.function(self._summed_loss_hvp)
        self._regularizer = tf.function(self._regularizer_hvp)
        self._recursion = tf.function(self._recurse)
        self._block = tf.function(self._summed_block, reduce_retracing=True)

    def _summed_loss_hvp(self, xb, yb, v):
        with tf.autodiff.ForwardAccumulator(self.theta, v) as acc:
            with tf.GradientTape() as tape:
                tape.watch(self.theta)
                value = tf.reduce_sum(self.model.loss(self.theta, xb, yb))
            gradient = tape.gradient(value, self.theta)
        return acc.jvp(gradient)

    def _summed_block(self, xb, yb, block):
        return tf.vectorized_map(lambda v: self._summed_loss_hvp(xb, yb, v), block)

    def loss_products(self, block: np.ndarray) -> np.ndarray:
        """Rows v of `block` (k, n_params) -> rows H v for the Hessian H of the mean loss alone (no regulariser, no
        damping), k products vectorised in one pass over each batch."""
        vt, total = tf.constant(block, self.theta.dtype), 0.0
        for start in range(0, self.n, self.batch_size):
            stop = start + self.batch_size
            total += self._block(self.x[start:stop], self.y[start:stop], vt).numpy() / self.n
        return total

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

    def on(self, batch: tf.Tensor, v: tf.Tensor) -> tf.Tensor:
        """(H_batch + damping I) v with H_batch the Hessian of mean loss over `batch` + regulariser."""
        xb, yb = tf.gather(self.x, batch), tf.gather(self.y, batch)
        return self._summed(xb, yb, v) / tf.cast(tf.size(batch), v.dtype) + self._regularizer(v)

    def _recurse(self, g, batches, scale):
        h = g
        for t in tf.range(tf.shape(batches)[0]):
            h = g + h - self.on(batches[t], h) / scale
        return h / scale

    def recursion(self, g: np.ndarray, batches: np.ndarray, scale: float) -> np.ndarray:
        """LiSSA: h <- g + h - (H_batch + damping I) h / scale over the rows of `batches`; returns h / scale."""
        return self._recursion(tf.constant(g, self.theta.dtype), tf.constant(batches), scale).numpy()
