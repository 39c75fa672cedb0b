"""Models as pure functions of one flat parameter vector, so that gradients, Hessians and leave-one-out refits all
see the same objective.

A model's training objective is R(theta) = mean_i loss(theta, z_i) + regularizer(theta). Removing a training
point z changes the objective (up to a constant factor that does not move its minimum) by -removal_term(z) / n,
where removal_term is loss(z) alone when the regulariser's weight does not depend on n (scikit-learn's
C * sum(loss) + ||w||^2 / 2) and loss(z) + regularizer when it does (mean loss + weight decay, as Koh & Liang).
"""

import logging
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BinaryLogisticRegression:
    """scikit-learn's binary LogisticRegression: theta = [w_1..w_d, b], L2 on w only (the intercept is free).

    scikit-learn minimises C * sum_i log_loss_i + ||w||^2 / 2, i.e. n * C times
    mean_i log_loss_i + ||w||^2 / (2 C n), whose Hessian is the one used here.
    """

    n_features: int
    C: float
    n_train: int

    kind = "logistic_regression"
    removal_includes_regularizer = False

    @property
    def n_params(self) -> int:
        return self.n_features + 1

    def logits(self, theta: tf.Tensor, x: tf.Tensor) -> tf.Tensor:
        x = tf.reshape(tf.cast(x, theta.dtype), (-1, self.n_features))
        return tf.linalg.matvec(x, theta[:-1]) + theta[-1]

    def loss(self, theta: tf.Tensor, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """Per-example log loss, shape (n,)."""
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.cast(y, theta.dtype), logits=self.logits(theta, x))

    def regularizer(self, theta: tf.Tensor) -> tf.Tensor:
        return tf.reduce_sum(theta[:-1] ** 2) / (2.0 * self.C * self.n_train)

    def predict(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        return (self.logits(tf.constant(theta), x).numpy() > 0).astype(np.int64)

    def losses(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.loss(tf.constant(theta), x, y).numpy()

    def meta(self) -> dict:
        return {"kind": self.kind, "n_features": self.n_features, "C": self.C, "n_train": self.n_train}


@dataclass(frozen=True)
class ConvLayer:
    name: str
    kernel: int
    channels_in: int
    channels_out: int
    stride: int


@dataclass(frozen=True)
class AllCNN:
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

    kind = "all_cnn"
    removal_includes_regularizer = True
    layer_names = ("h1_a", "h1_c", "h2_a", "h2_c", "h3_a", "h3_c", "h3_d", "logits")

    @property
    def conv_layers(self) -> tuple[ConvLayer, ...]:
        h = self.hidden
        return (
            ConvLayer("h1_a", 3, self.channels, h, 1),
            ConvLayer("h1_c", 3, h, h, 2),
            ConvLayer("h2_a", 3, h, h, 1),
            ConvLayer("h2_c", 3, h, h, 2),
            ConvLayer("h3_a", 3, h, h, 1),
            ConvLayer("h3_c", 1, h, self.n_classes, 1),
        )

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
    def n_params(self) -> int:
        return sum(int(np.prod(shape)) for _, shape in self.shapes)

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
        sizes = [int(np.prod(shape)) for _, shape in self.shapes]
        return [tf.reshape(part, shape) for part, (_, shape) in zip(tf.split(theta, sizes), self.shapes, strict=True)]

    def layer_outputs(self, theta: tf.Tensor, x: tf.Tensor) -> list[tf.Tensor]:
        """The eight representations of thesis Table 4.1, from h1_a to the logits."""
        h = tf.cast(tf.reshape(x, (-1, self.side, self.side, self.channels)), theta.dtype)
        return self._outputs_from(0, h, self.unflatten(theta))

    def _outputs_from(self, first: int, h: tf.Tensor, params: list[tf.Tensor]) -> list[tf.Tensor]:
        """Outputs of the sub-network that starts at parameter layer `first` (0-5: the convolutions, 6: the dense
        layer, whose input is the pooled h3_d) with input h; `params` are the tensors of layers first.. in order."""
        outputs = []
        if first < len(self.conv_layers):
            for i, layer in enumerate(self.conv_layers[first:]):
                h = tf.tanh(tf.nn.conv2d(h, params[2 * i], layer.stride, "VALID") + params[2 * i + 1])
                outputs.append(h)
            h = tf.reduce_mean(h, axis=[1, 2])
            outputs.append(h)
        outputs.append(tf.matmul(h, params[-2]) + params[-1])
        return outputs

    def logits(self, theta: tf.Tensor, x: tf.Tensor) -> tf.Tensor:
        return self.layer_outputs(theta, x)[-1]

    def loss(self, theta: tf.Tensor, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """Per-example softmax cross-entropy, shape (n,)."""
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(y, tf.int32), logits=self.logits(theta, x))

    def regularizer(self, theta: tf.Tensor) -> tf.Tensor:
        weights = tf.boolean_mask(theta, self.is_weight())
        return self.weight_decay * tf.reduce_sum(weights**2) / 2.0

    def predict(self, theta: np.ndarray, x: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        t = tf.constant(theta)
        return np.concatenate(
            [np.argmax(self.logits(t, x[i : i + batch_size]).numpy(), axis=1) for i in range(0, len(x), batch_size)]
        )

    def losses(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        t = tf.constant(theta)
        return np.concatenate(
            [self.loss(t, x[i : i + batch_size], y[i : i + batch_size]).numpy() for i in range(0, len(x), batch_size)]
        )

    def per_example_gradients(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Gradient of every example's loss (no regulariser) in one batched backward pass.

        Each layer's weight gradient for example i is sum over output positions of (input patch) x (gradient of
        the pre-activation at that position); one backward pass of the summed loss yields every example's
        pre-activation gradients, because example i's activations only reach loss i.
        """
        return _all_cnn_gradients(self, tf.constant(theta), tf.constant(x), tf.constant(y)).numpy()

    def stacked_logits(self, thetas: tf.Tensor, x: tf.Tensor, fused: bool | None = None) -> tf.Tensor:
        """Logits of K models (thetas: (K, n_params)) on one shared batch, shape (K, n, classes), in one graph.

        fused (the default on a GPU): the first convolution applies all K kernels to the shared input at once
        (side by side along the output channels); each later convolution contracts every model's own input
        patches with its own kernel in one einsum, i.e. large batched matrix products (TensorFlow has no CPU
        gradient for grouped convolutions). Not fused (the default on a CPU, where those products are slower than
        its convolutions): the K networks side by side in the graph, each with its own convolutions.
        """
        if fused is None:
            fused = bool(tf.config.list_physical_devices("GPU"))
        if not fused:
            return tf.stack([self.logits(thetas[i], x) for i in range(thetas.shape[0])])
        k = tf.shape(thetas)[0]
        sizes = [int(np.prod(shape)) for _, shape in self.shapes]
        parts = tf.split(thetas, sizes, axis=1)
        h = tf.cast(tf.reshape(x, (-1, self.side, self.side, self.channels)), thetas.dtype)
        for i, layer in enumerate(self.conv_layers):
            size, c_in, c_out = layer.kernel, layer.channels_in, layer.channels_out
            kernel = tf.reshape(parts[2 * i], (k, size, size, c_in, c_out))
            if i == 0:
                side_by_side = tf.reshape(tf.transpose(kernel, [1, 2, 3, 0, 4]), (size, size, c_in, k * c_out))
                z = tf.nn.conv2d(h, side_by_side, layer.stride, "VALID")
            else:
                patches = tf.image.extract_patches(
                    h, [1, size, size, 1], [1, layer.stride, layer.stride, 1], [1, 1, 1, 1], "VALID"
                )
                shape = tf.shape(patches)
                patches = tf.reshape(patches, (shape[0], shape[1], shape[2], size, size, k, c_in))
                z = tf.einsum("bhwijkc,kijcd->bhwkd", patches, kernel)
                z = tf.reshape(z, (shape[0], shape[1], shape[2], k * c_out))
            h = tf.tanh(z + tf.reshape(parts[2 * i + 1], [-1]))
        pooled = tf.reshape(tf.reduce_mean(h, axis=[1, 2]), (-1, k, self.n_classes))
        weights = tf.reshape(parts[-2], (k, self.n_classes, self.n_classes))
        return tf.einsum("nkc,kcd->knd", pooled, weights) + parts[-1][:, None, :]

    def stacked_regularizer(self, thetas: tf.Tensor) -> tf.Tensor:
        """Each model's weight decay, shape (K,)."""
        return self.weight_decay * tf.reduce_sum(tf.boolean_mask(thetas**2, self.is_weight(), axis=1), axis=1) / 2

    def loss_hessian(
        self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = 500, chunk: int = 8
    ) -> np.ndarray:
        """Exact Hessian of the summed loss over (x, y) (no regulariser), block column by block column.

        For directions in layer b only the rows of layers b.. are computed, as Hessian-vector products of the
        sub-network that starts at layer b with its input held fixed; the rows of earlier layers follow by
        symmetry. On MNIST this needs about a third of the work of 2,616 full Hessian-vector products.
        """
        params = self.unflatten(tf.constant(theta))
        sizes = [int(np.prod(p.shape)) for p in params]
        starts = np.concatenate([[0], np.cumsum(sizes)])
        h_full = np.zeros((len(theta), len(theta)), dtype=np.float64)
        for block in range(len(self.conv_layers) + 1):  # six convolutions, then the dense layer
            first = 2 * block
            lo, hi = starts[first], starts[first + 2]
            columns = _BlockColumns(self, block, params[first:])
            for start in range(0, len(y), batch_size):
                xb, yb = x[start : start + batch_size], y[start : start + batch_size]
                h = tf.cast(tf.reshape(xb, (-1, self.side, self.side, self.channels)), params[0].dtype)
                if block > 0:
                    outputs = self._outputs_from(0, h, params)
                    h = outputs[block - 1] if block < len(self.conv_layers) else outputs[len(self.conv_layers)]
                h_full[lo:, lo:hi] += columns(h, tf.constant(yb), chunk)
            h_full[lo:hi, hi:] = h_full[hi:, lo:hi].T
            log.info("Hessian: layer block %d of %d done", block + 1, len(self.conv_layers) + 1)
        return h_full

    def meta(self) -> dict:
        return {
            "kind": self.kind,
            "side": self.side,
            "channels": self.channels,
            "n_classes": self.n_classes,
            "weight_decay": self.weight_decay,
            "hidden": self.hidden,
        }


class _BlockColumns:
    """Columns of the summed-loss Hessian for the parameters of one layer block (rows: that layer and later),
    by forward-over-reverse Hessian-vector products along unit directions, `chunk` at a time."""

    def __init__(self, model: AllCNN, block: int, tail: list[tf.Tensor]):
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
                    logits = self.model._outputs_from(self.block, h, self.tail)[-1]
                    value = tf.reduce_sum(
                        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(labels, tf.int32), logits=logits)
                    )
                gradient = tape.gradient(value, self.tail)
            return tf.concat([tf.reshape(t, [-1]) for t in acc.jvp(gradient)], axis=0)

        return tf.vectorized_map(one, directions)

    def __call__(self, h: tf.Tensor, labels: tf.Tensor, chunk: int) -> np.ndarray:
        n_block = self.sizes[0] + self.sizes[1]
        eye = np.eye(n_block, dtype=self.tail[0].dtype.as_numpy_dtype)
        rows = [self.hvps(h, labels, tf.constant(eye[i : i + chunk])).numpy() for i in range(0, n_block, chunk)]
        return np.concatenate(rows).T.astype(np.float64)


def _all_cnn_gradients(model: AllCNN, theta: tf.Tensor, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    params = model.unflatten(theta)
    h = tf.cast(tf.reshape(x, (-1, model.side, model.side, model.channels)), theta.dtype)
    inputs, pre_activations = [], []
    with tf.GradientTape() as tape:
        for i, layer in enumerate(model.conv_layers):
            inputs.append(h)
            z = tf.nn.conv2d(h, params[2 * i], layer.stride, "VALID") + params[2 * i + 1]
            tape.watch(z)
            pre_activations.append(z)
            h = tf.tanh(z)
        pooled = tf.reduce_mean(h, axis=[1, 2])
        logits = tf.matmul(pooled, params[-2]) + params[-1]
        tape.watch(logits)
        total = tf.reduce_sum(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(y, tf.int32), logits=logits)
        )
    *conv_grads, logit_grads = tape.gradient(total, [*pre_activations, logits])
    n = tf.shape(x)[0]
    parts = []
    for layer, layer_input, grad in zip(model.conv_layers, inputs, conv_grads, strict=True):
        k, s = layer.kernel, layer.stride
        patches = tf.image.extract_patches(layer_input, [1, k, k, 1], [1, s, s, 1], [1, 1, 1, 1], "VALID")
        parts.append(tf.reshape(tf.einsum("nhwp,nhwc->npc", patches, grad), (n, -1)))
        parts.append(tf.reduce_sum(grad, axis=[1, 2]))
    parts.append(tf.reshape(pooled[:, :, None] * logit_grads[:, None, :], (n, -1)))
    parts.append(logit_grads)
    return tf.concat(parts, axis=1)


KINDS = {cls.kind: cls for cls in (BinaryLogisticRegression, AllCNN)}


def from_meta(meta: dict):
    """Rebuild a model object from what `meta()` stored beside its parameters."""
    return KINDS[meta["kind"]](**{k: v for k, v in meta.items() if k != "kind"})


def for_dataset(model_config: dict, dataset):
    """The model an experiment's validated `model` config describes, sized for its data."""
    x = dataset.train.x
    if model_config["kind"] == "logistic_regression":
        return BinaryLogisticRegression(
            n_features=int(np.prod(x.shape[1:])), C=float(model_config["C"]), n_train=len(x)
        )
    if x.ndim != 4 or x.shape[1] != x.shape[2]:
        raise ValueError(f"all_cnn needs square images (n, side, side, channels), got inputs of shape {x.shape}")
    return AllCNN(
        side=x.shape[1],
        channels=x.shape[3],
        n_classes=dataset.n_classes,
        weight_decay=float(model_config["weight_decay"]),
    )
