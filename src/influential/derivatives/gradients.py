"""First derivatives of a model's training objective: per-example loss gradients (the hot spot of every influence
estimator), the regulariser's, the objective's, and what removing a training point takes away."""

import numpy as np
import tensorflow as tf

from influential.models import AllCNN


def batches(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def per_example_gradients(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Gradients of loss(theta, z_i) for every example, shape (n, n_params); no regulariser.

    The all-CNN uses a batched formula (all_cnn_gradients); other models the Jacobian of each batch's losses.
    """
    t, rows = tf.constant(theta), []
    for b in batches(len(y), batch_size):
        if isinstance(model, AllCNN):
            rows.append(all_cnn_gradients(model, t, tf.constant(x[b]), tf.constant(y[b])).numpy())
            continue
        with tf.GradientTape() as tape:
            tape.watch(t)
            losses = model.loss(t, x[b], y[b])
        rows.append(tape.jacobian(losses, t).numpy())
    return np.concatenate(rows) if rows else np.zeros((0, len(theta)), dtype=theta.dtype)


def all_cnn_gradients(model: AllCNN, theta: tf.Tensor, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    """Every example's loss gradient in one backward pass of the summed loss.

    Each layer's weight gradient for example i is the sum over output positions of (input patch) x (gradient of the
    pre-activation at that position). One backward pass yields every example's pre-activation gradients, because
    example i's activations only reach loss i.
    """
    params = model.unflatten(theta)
    with tf.GradientTape() as tape:
        tape.watch(params)  # records the pass, so the gradient reaches the intermediate tensors below
        trace = model.forward(params, model.images(x, theta.dtype))
        total = tf.reduce_sum(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(y, tf.int32), logits=trace.logits)
        )
    *conv_grads, logit_grads = tape.gradient(total, [*trace.pre_activations, trace.logits])
    n = tf.shape(x)[0]
    parts = []
    for layer, layer_input, grad in zip(model.conv_layers, trace.inputs, conv_grads, strict=True):
        k, s = layer.kernel, layer.stride
        patches = tf.image.extract_patches(layer_input, [1, k, k, 1], [1, s, s, 1], [1, 1, 1, 1], "VALID")
        parts.append(tf.reshape(tf.einsum("nhwp,nhwc->npc", patches, grad), (n, -1)))
        parts.append(tf.reduce_sum(grad, axis=[1, 2]))
    pooled = trace.outputs[-2]
    parts.append(tf.reshape(pooled[:, :, None] * logit_grads[:, None, :], (n, -1)))
    parts.append(logit_grads)
    return tf.concat(parts, axis=1)


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
    for b in batches(len(y), batch_size):
        with tf.GradientTape() as tape:
            tape.watch(t)
            part = tf.reduce_sum(model.loss(t, x[b], y[b])) / len(y)
        total = total + tape.gradient(part, t).numpy()
    return total
