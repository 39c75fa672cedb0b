"""The numpy side of the model interface for a model written as TensorFlow functions of one flat parameter vector
(`loss`, `regularizer`, `logits`): derivatives by automatic differentiation (derivatives.autodiff), losses and
predictions in batches. A model with faster formulas overrides the method (the all-CNN: per-example gradients, the
loss Hessian)."""

import numpy as np
import tensorflow as tf

from influential.derivatives import autodiff


def softmax_cross_entropy(logits: tf.Tensor, y) -> tf.Tensor:
    """Per-example softmax cross-entropy of integer labels, the training loss of every multi-class model here."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(y, tf.int32), logits=logits)


class AutodiffModel:
    def _batched(self, fn, n: int, batch_size: int) -> np.ndarray:
        return np.concatenate([fn(slice(i, i + batch_size)) for i in range(0, n, batch_size)]) if n else np.zeros(0)

    def predict(self, theta: np.ndarray, x: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        t = tf.constant(theta)
        return self._batched(lambda b: np.argmax(self.logits(t, x[b]).numpy(), axis=1), len(x), batch_size)

    def losses(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        t = tf.constant(theta)
        return self._batched(lambda b: self.loss(t, x[b], y[b]).numpy(), len(x), batch_size)

    def per_example_gradients(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        return autodiff.per_example_gradients(self, theta, x, y, batch_size)

    def per_example_jvps(self, theta, x, y, columns: np.ndarray, batch_size: int) -> np.ndarray:
        return autodiff.per_example_jvps(self, theta, x, y, columns, batch_size)

    def loss_gradient(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        """Gradient of the mean loss over (x, y)."""
        return autodiff.loss_gradient(self, theta, x, y, batch_size, len(y))

    def loss_hessian(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        """Hessian of the mean loss over (x, y), float64."""
        return autodiff.loss_hessian(self, theta, x, y, batch_size)

    def representations(self, theta: np.ndarray, x: np.ndarray, batch_size: int = 500) -> dict[str, np.ndarray]:
        """Every layer's output for every example, flattened to (n, dim) float32, by layer name."""
        t = tf.constant(theta)
        parts = [
            [out.numpy().reshape(len(out), -1) for out in self.layer_outputs(t, x[i : i + batch_size])]
            for i in range(0, len(x), batch_size)
        ]
        return {
            name: np.concatenate([p[j] for p in parts]).astype(np.float32) for j, name in enumerate(self.layer_names)
        }

    def regularizer_value(self, theta: np.ndarray) -> float:
        return float(self.regularizer(tf.constant(theta)).numpy())

    def regularizer_gradient(self, theta: np.ndarray) -> np.ndarray:
        return autodiff.regularizer_gradient(self, theta)

    def regularizer_hessian(self, theta: np.ndarray) -> np.ndarray:
        return autodiff.regularizer_hessian(self, theta)

    def hessian_operator(self, theta, x, y, damping: float, batch_size: int) -> autodiff.HessianOperator:
        return autodiff.HessianOperator(self, theta, x, y, damping, batch_size)
