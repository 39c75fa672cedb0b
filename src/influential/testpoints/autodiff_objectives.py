"""Test objectives other than the loss as TensorFlow functions of the parameters (cross_loss.BoundObjective):
their values, their per-example gradients by automatic differentiation, their values under many models."""

import numpy as np
import tensorflow as tf

from influential.core import names


def _layer(bound, theta: tf.Tensor, x) -> tf.Tensor:
    """The objective's layer for each example, flattened to (n, dim)."""
    output = bound.model.layer_outputs(theta, x)[bound.model.layer_names.index(bound.objective.layer)]
    return tf.reshape(output, (tf.shape(output)[0], -1))


def values(bound, theta: tf.Tensor, x, y) -> tf.Tensor:
    """The objective of each test example, shape (n,)."""
    kind, model = bound.objective.kind, bound.model
    if kind in (names.CENTROID_DISTANCE, names.EMBEDDING_DISTANCE):
        reference = tf.reduce_mean(_layer(bound, theta, bound.others), axis=0)
        squared = tf.reduce_sum((_layer(bound, theta, x) - reference) ** 2, axis=1)
        positive = squared > 0  # at distance 0 (an example to itself) the gradient is 0, not NaN
        return tf.where(positive, tf.sqrt(tf.where(positive, squared, 1)), 0)
    logits = model.logits(theta, x)
    if len(logits.shape) == 1:  # a binary model's one logit: class 1 against class 0
        logits = tf.stack([tf.zeros_like(logits), logits], axis=1)
    if kind == names.PROBABILITY:
        return tf.nn.softmax(logits)[:, bound.objective.cls]
    true = tf.one_hot(tf.cast(y, tf.int32), tf.shape(logits)[1], dtype=logits.dtype) > 0
    others = tf.where(true, tf.constant(logits.dtype.min, logits.dtype), logits)
    return tf.boolean_mask(logits, true) - tf.reduce_max(others, axis=1)


def gradients(bound, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each test example's objective gradient, shape (n, n_params)."""
    t = tf.constant(theta)
    with tf.GradientTape() as tape:
        tape.watch(t)
        value = values(bound, t, x, y)
    return tape.jacobian(value, t).numpy()


def evaluate(bound, thetas: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The objective of each test example under each parameter vector, shape (len(thetas), n)."""
    return np.stack([values(bound, tf.constant(theta), x, y).numpy() for theta in thetas])
