"""Koh & Liang's all-convolutional network behind the model interface (see models): one forward pass for one model
or K stacked ones, its layers' outputs, and its fast derivatives (models.all_cnn_derivatives)."""

from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from influential.core import names
from influential.models import all_cnn_derivatives
from influential.models.autodiff import AutodiffModel, softmax_cross_entropy


@dataclass(frozen=True)
class ConvLayer:
    name: str
    kernel: int
    channels_in: int
    channels_out: int
    stride: int


@dataclass
class Trace:
    """One forward pass of the all-CNN: each convolution's input and pre-activation (what the batched per-example
    gradients need) and the representations of thesis Table 4.1, from the first layer run on to the logits."""

    inputs: list[tf.Tensor] = field(default_factory=list)
    pre_activations: list[tf.Tensor] = field(default_factory=list)
    outputs: list[tf.Tensor] = field(default_factory=list)

    @property
    def logits(self) -> tf.Tensor:
        return self.outputs[-1]


def _convolve(h: tf.Tensor, kernel: tf.Tensor, layer: ConvLayer) -> tf.Tensor:
    return tf.nn.conv2d(h, kernel, layer.stride, "VALID")


def _dense(h: tf.Tensor, weights: tf.Tensor, biases: tf.Tensor) -> tf.Tensor:
    return tf.matmul(h, weights) + biases


@dataclass(frozen=True)
class AllCNN(AutodiffModel):
    """Koh & Liang's all-convolutional network (thesis Table 4.1; 2,616 parameters on MNIST).

    Six VALID convolutions with tanh (the last one 1x1), a spatial mean, a dense layer to the logits. Weights
    start truncated-normal with std 2/sqrt(k*k*C_in) (1/sqrt(10) for the dense layer), biases at 0. The objective
    is mean softmax cross-entropy + weight_decay * sum(w^2) / 2 over the weights, not the biases; leave-one-out
    keeps that weight decay on the mean over the remaining points, so a removed point takes (loss + regulariser)/n.
    """

    side: int
    channels: int
    n_classes: int
    weight_decay: float
    hidden: int = 8

    kind = names.ALL_CNN
    removal_includes_regularizer = True
    layer_names = names.LAYERS

    @property
    def conv_layers(self) -> tuple[ConvLayer, ...]:
        h, c = self.hidden, self.channels
        sizes = ((3, c, h, 1), (3, h, h, 2), (3, h, h, 1), (3, h, h, 2), (3, h, h, 1), (1, h, self.n_classes, 1))
        return tuple(ConvLayer(name, *size) for name, size in zip(names.CONV_LAYERS, sizes, strict=True))

    @property
    def shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """(name, shape) of every parameter tensor, in the order of the flat vector."""
        shapes = []
        for layer in self.conv_layers:
            shapes.append(
                (f"{layer.name}/weights", (layer.kernel, layer.kernel, layer.channels_in, layer.channels_out))
            )
            shapes.append((f"{layer.name}/biases", (layer.channels_out,)))
        shapes.append(("logits/weights", (self.n_classes, self.n_classes)))
        shapes.append(("logits/biases", (self.n_classes,)))
        return shapes

    @property
    def sizes(self) -> list[int]:
        """Length of every parameter tensor in the flat vector."""
        return [int(np.prod(shape)) for _, shape in self.shapes]

    @property
    def n_params(self) -> int:
        return sum(self.sizes)

    def is_weight(self) -> np.ndarray:
        """Mask of the flat vector's entries that weight decay applies to."""
        return np.concatenate([np.full(int(np.prod(shape)), name.endswith("weights")) for name, shape in self.shapes])

    def initial_params(self, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        parts = []
        for name, shape in self.shapes:
            if name.endswith("biases"):
                parts.append(np.zeros(shape))
                continue
            fan_in = int(np.prod(shape[:-1]))
            std = (1.0 if name.startswith("logits") else 2.0) / np.sqrt(fan_in)
            draw = rng.standard_normal(int(np.prod(shape)))
            while np.any(np.abs(draw) > 2):  # truncated normal: redraw beyond two standard deviations
                outside = np.abs(draw) > 2
                draw[outside] = rng.standard_normal(int(outside.sum()))
            parts.append(std * draw)
        return np.concatenate([p.ravel() for p in parts]).astype(np.float32)

    def unflatten(self, theta: tf.Tensor) -> list[tf.Tensor]:
        return [
            tf.reshape(part, shape) for part, (_, shape) in zip(tf.split(theta, self.sizes), self.shapes, strict=True)
        ]

    def images(self, x, dtype) -> tf.Tensor:
        return tf.cast(tf.reshape(x, (-1, self.side, self.side, self.channels)), dtype)

    def forward(self, params: list[tf.Tensor], h: tf.Tensor, first: int = 0, convolve=_convolve, dense=_dense) -> Trace:
        """The network from parameter layer `first` on (0-5: the convolutions; 6: the dense layer, whose input is
        the pooled h3_d) applied to h; `params` holds the tensors of layers first.. in order. `convolve(h, kernel,
        layer)` and `dense(h, weights, biases)` are one network's; stacked_logits passes those of K models."""
        trace = Trace()
        if first < len(self.conv_layers):
            for i, layer in enumerate(self.conv_layers[first:]):
                trace.inputs.append(h)
                z = convolve(h, params[2 * i], layer) + params[2 * i + 1]
                trace.pre_activations.append(z)
                h = tf.tanh(z)
                trace.outputs.append(h)
            h = tf.reduce_mean(h, axis=[1, 2])
            trace.outputs.append(h)
        trace.outputs.append(dense(h, params[-2], params[-1]))
        return trace

    def layer_outputs(self, theta: tf.Tensor, x: tf.Tensor) -> list[tf.Tensor]:
        """The eight representations of thesis Table 4.1, from h1_a to the logits."""
        return self.forward(self.unflatten(theta), self.images(x, theta.dtype)).outputs

    def logits(self, theta: tf.Tensor, x: tf.Tensor) -> tf.Tensor:
        return self.layer_outputs(theta, x)[-1]

    def loss(self, theta: tf.Tensor, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """Per-example softmax cross-entropy, shape (n,)."""
        return softmax_cross_entropy(self.logits(theta, x), y)

    def regularizer(self, theta: tf.Tensor) -> tf.Tensor:
        weights = tf.boolean_mask(theta, self.is_weight())
        return self.weight_decay * tf.reduce_sum(weights**2) / 2.0

    def per_example_gradients(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        """The batched formula (all_cnn_derivatives.batch_gradients) batch by batch."""
        t = tf.constant(theta)
        rows = [
            self.batch_gradients(t, tf.constant(x[i : i + batch_size]), tf.constant(y[i : i + batch_size])).numpy()
            for i in range(0, len(y), batch_size)
        ]
        return np.concatenate(rows) if rows else np.zeros((0, len(theta)), dtype=theta.dtype)

    def batch_gradients(self, theta: tf.Tensor, x: tf.Tensor, y: tf.Tensor, of=softmax_cross_entropy) -> tf.Tensor:
        """Every example's gradient of its loss, or of another function `of` its logits and label."""
        return all_cnn_derivatives.batch_gradients(self, theta, x, y, of)

    def loss_hessian(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        """The layer-block scheme (all_cnn_derivatives.loss_hessian) over the summed loss, divided by n."""
        return all_cnn_derivatives.loss_hessian(self, theta, x, y, batch_size) / len(y)

    def stacked_logits(self, thetas: tf.Tensor, x: tf.Tensor, fused: bool | None = None) -> tf.Tensor:
        """Logits of K models (thetas: (K, n_params)) on one shared batch, shape (K, n, classes), in one graph.

        fused (the default on a GPU for K > 1): the first convolution applies all K kernels to the shared input at
        once (side by side along the output channels); each later convolution contracts every model's own input
        patches with its own kernel in one einsum, i.e. large batched matrix products (TensorFlow has no CPU
        gradient for grouped convolutions). Not fused (the default on a CPU, where those products are slower than
        its convolutions): the K networks side by side in the graph, each with its own convolutions.
        """
        k = thetas.shape[0]
        if fused is None:
            fused = k > 1 and bool(tf.config.list_physical_devices("GPU"))
        if not fused:
            return tf.stack([self.logits(thetas[i], x) for i in range(k)])
        params = []
        for (_, shape), part in zip(self.shapes, tf.split(thetas, self.sizes, axis=1), strict=True):
            # kernels and dense weights per model; biases side by side, as the fused channels are
            params.append(tf.reshape(part, (k, *shape)) if len(shape) > 1 else tf.reshape(part, [-1]))
        params[-1] = tf.reshape(params[-1], (k, self.n_classes))

        def convolve(h, kernel, layer):
            size, c_in, c_out = layer.kernel, layer.channels_in, layer.channels_out
            if h.shape[-1] == c_in:  # the shared input: all K kernels side by side in one convolution
                side_by_side = tf.reshape(tf.transpose(kernel, [1, 2, 3, 0, 4]), (size, size, c_in, k * c_out))
                return tf.nn.conv2d(h, side_by_side, layer.stride, "VALID")
            patches = tf.image.extract_patches(
                h, [1, size, size, 1], [1, layer.stride, layer.stride, 1], [1, 1, 1, 1], "VALID"
            )
            shape = tf.shape(patches)
            patches = tf.reshape(patches, (shape[0], shape[1], shape[2], size, size, k, c_in))
            z = tf.einsum("bhwijkc,kijcd->bhwkd", patches, kernel)
            return tf.reshape(z, (shape[0], shape[1], shape[2], k * c_out))

        def dense(h, weights, biases):
            pooled = tf.reshape(h, (-1, k, self.n_classes))
            return tf.einsum("nkc,kcd->knd", pooled, weights) + biases[:, None, :]

        return self.forward(params, self.images(x, thetas.dtype), convolve=convolve, dense=dense).logits

    def stacked_losses(self, thetas: tf.Tensor, x, y) -> tf.Tensor:
        """Per-example losses of K models on one batch, shape (K, n)."""
        logits = self.stacked_logits(thetas, x)
        return softmax_cross_entropy(logits, tf.broadcast_to(tf.cast(y, tf.int32)[None, :], tf.shape(logits)[:2]))

    def stacked_regularizer(self, thetas: tf.Tensor) -> tf.Tensor:
        """Each model's weight decay, shape (K,)."""
        return self.weight_decay * tf.reduce_sum(tf.boolean_mask(thetas**2, self.is_weight(), axis=1), axis=1) / 2

    def meta(self) -> dict:
        return {
            "kind": self.kind,
            "side": self.side,
            "channels": self.channels,
            "n_classes": self.n_classes,
            "weight_decay": self.weight_decay,
            "hidden": self.hidden,
        }
