"""The all-CNN's fast derivatives: every example's loss gradient from one backward pass, and the exact loss Hessian
by a layer-block scheme. Both are checked against automatic differentiation in the tests."""

import logging

import numpy as np
import tensorflow as tf

from influential.derivatives.gradients import batches
from influential.models.autodiff import softmax_cross_entropy

log = logging.getLogger(__name__)


def batch_gradients(model, theta: tf.Tensor, x: tf.Tensor, y: tf.Tensor, of=softmax_cross_entropy) -> tf.Tensor:
    """Every example's gradient of its loss (or of another function `of` its logits and label, (n,)) in one
    backward pass of their sum.

    Each layer's weight gradient for example i is the sum over output positions of (input patch) x (gradient of the
    pre-activation at that position). One backward pass yields every example's pre-activation gradients, because
    example i's activations only reach its own term.
    """
    params = model.unflatten(theta)
    with tf.GradientTape() as tape:
        tape.watch(params)  # records the pass, so the gradient reaches the intermediate tensors below
        trace = model.forward(params, model.images(x, theta.dtype))
        total = tf.reduce_sum(of(trace.logits, y))
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


def loss_hessian(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int, chunk: int = 8) -> np.ndarray:
    """Exact Hessian of the all-CNN's summed loss over (x, y) (no regulariser), block column by block column.

    For directions in layer b only the rows of layers b.. are computed, as Hessian-vector products of the
    sub-network that starts at layer b with its input held fixed; the rows of earlier layers follow by symmetry. On
    MNIST this needs about a third of the work of 2,616 full Hessian-vector products.
    """
    params = model.unflatten(tf.constant(theta))
    starts = np.concatenate([[0], np.cumsum(model.sizes)])
    n_conv = len(model.conv_layers)
    h_full = np.zeros((len(theta), len(theta)), dtype=np.float64)
    for block in range(n_conv + 1):  # six convolutions, then the dense layer
        first = 2 * block
        lo, hi = starts[first], starts[first + 2]
        columns = _BlockColumns(model, block, params[first:])
        for b in batches(len(y), batch_size):
            h = model.images(x[b], params[0].dtype)
            if block > 0:  # the block's input: the previous convolution's output, or the pooled h3_d (dense)
                h = model.forward(params, h).outputs[block - 1 if block < n_conv else n_conv]
            h_full[lo:, lo:hi] += columns(h, tf.constant(y[b]), chunk)
        h_full[lo:hi, hi:] = h_full[hi:, lo:hi].T
        log.info("Hessian: layer block %d of %d done", block + 1, n_conv + 1)
    return h_full


class _BlockColumns:
    """Columns of the summed-loss Hessian for the parameters of one layer block (rows: that layer and later),
    by forward-over-reverse Hessian-vector products along unit directions, `chunk` at a time."""

    def __init__(self, model, block: int, tail: list[tf.Tensor]):
        self.model, self.block, self.tail = model, block, tail
        self.shapes = [p.shape for p in tail]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.hvps = tf.function(self._hvps, reduce_retracing=True)  # one trace serves every batch size

    def _hvps(self, h, labels, directions):
        def one(direction):
            split = tf.split(direction, self.sizes[:2])
            tangents = [tf.reshape(t, s) for t, s in zip(split, self.shapes[:2], strict=True)]
            tangents += [tf.zeros(s, direction.dtype) for s in self.shapes[2:]]
            with tf.autodiff.ForwardAccumulator(self.tail, tangents) as acc:
                with tf.GradientTape() as tape:
                    tape.watch(self.tail)
                    logits = self.model.forward(self.tail, h, first=self.block).logits
                    value = tf.reduce_sum(softmax_cross_entropy(logits, labels))
                gradient = tape.gradient(value, self.tail)
            return tf.concat([tf.reshape(t, [-1]) for t in acc.jvp(gradient)], axis=0)

        return tf.vectorized_map(one, directions)

    def __call__(self, h: tf.Tensor, labels: tf.Tensor, chunk: int) -> np.ndarray:
        n_block = self.sizes[0] + self.sizes[1]
        eye = np.eye(n_block, dtype=self.tail[0].dtype.as_numpy_dtype)
        rows = [self.hvps(h, labels, tf.constant(eye[i : i + chunk])).numpy() for i in range(0, n_block, chunk)]
        return np.concatenate(rows).T.astype(np.float64)
