"""scikit-learn's binary logistic regression behind the model interface (see models), in closed form with numpy:
its jobs (fit, gradients, Hessian, every influence function, refits) never load TensorFlow. The tensor side of the
interface (`loss`, `logits`, `layer_outputs`, `regularizer`), which test objectives other than the loss
differentiate, loads it when first called."""

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from influential.core import names


@dataclass(frozen=True)
class BinaryLogisticRegression:
    """theta = [w_1..w_d, b], L2 on w only (the intercept is free).

    scikit-learn minimises C * sum_i log_loss_i + ||w||^2 / 2, i.e. n * C times
    mean_i log_loss_i + ||w||^2 / (2 C n), whose Hessian is the one used here. The regulariser's weight does not
    depend on n, so a left-out point takes only its loss with it.
    """

    n_features: int
    C: float
    n_train: int

    kind = names.LOGISTIC_REGRESSION
    removal_includes_regularizer = False
    n_classes = 2
    layer_names = ("logits",)

    @property
    def n_params(self) -> int:
        return self.n_features + 1

    def meta(self) -> dict:
        return {"kind": self.kind, "n_features": self.n_features, "C": self.C, "n_train": self.n_train}

    def _design(self, x: np.ndarray) -> np.ndarray:
        """[x, 1] per example, float64: the logit is design @ theta."""
        x = np.asarray(x, dtype=np.float64).reshape(len(x), self.n_features)
        return np.hstack([x, np.ones((len(x), 1))])

    def _probabilities(self, theta: np.ndarray, design: np.ndarray) -> np.ndarray:
        return expit(design @ theta)

    def losses(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per-example log loss, max(z, 0) - z y + log(1 + exp(-|z|)) for the logit z (stable for any z)."""
        z = self._design(x) @ theta
        return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))

    def predict(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        return (self._design(x) @ theta > 0).astype(np.int64)

    def per_example_gradients(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        """(sigmoid(z_i) - y_i) [x_i, 1]; all at once (batch_size does not matter here)."""
        design = self._design(x)
        return (self._probabilities(theta, design) - y)[:, None] * design

    def loss_gradient(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        """Gradient of the mean loss over (x, y)."""
        design = self._design(x)
        return design.T @ (self._probabilities(theta, design) - y) / len(y)

    def loss_hessian(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        """Hessian of the mean loss: [x, 1]^T diag(p (1 - p)) [x, 1] / n."""
        design = self._design(x)
        p = self._probabilities(theta, design)
        return design.T @ (design * (p * (1 - p))[:, None]) / len(y)

    def _penalised(self) -> np.ndarray:
        """The regulariser's curvature: 1 / (C n) on the weights, 0 on the intercept."""
        return np.append(np.full(self.n_features, 1.0 / (self.C * self.n_train)), 0.0)

    def regularizer_value(self, theta: np.ndarray) -> float:
        return float(np.sum(theta[:-1] ** 2) / (2.0 * self.C * self.n_train))

    def regularizer_gradient(self, theta: np.ndarray) -> np.ndarray:
        return self._penalised() * theta

    def regularizer_hessian(self, theta: np.ndarray) -> np.ndarray:
        return np.diag(self._penalised())

    def hessian_operator(self, theta, x, y, damping: float, batch_size: int) -> "HessianOperator":
        return HessianOperator(self, theta, x, y, damping)

    # The tensor side, for automatic differentiation of test objectives.
    def logits(self, theta, x):
        import tensorflow as tf  # only objectives other than the loss differentiate a logistic regression

        x = tf.reshape(tf.cast(x, theta.dtype), (-1, self.n_features))
        return tf.linalg.matvec(x, theta[:-1]) + theta[-1]

    def layer_outputs(self, theta, x) -> list:
        return [self.logits(theta, x)[:, None]]

    def loss(self, theta, x, y):
        import tensorflow as tf

        return tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.cast(y, theta.dtype), logits=self.logits(theta, x))

    def regularizer(self, theta):
        import tensorflow as tf

        return tf.reduce_sum(theta[:-1] ** 2) / (2.0 * self.C * self.n_train)


class HessianOperator:
    """v -> (H + damping I) v for mean log loss + regulariser over a training set, without forming H:
    [x, 1]^T (p (1 - p) [x, 1] v) / n; and LiSSA's recursion over minibatches of it."""

    def __init__(self, model: BinaryLogisticRegression, theta, x, y, damping: float):
        self.design = model._design(x)
        self.curvature = model._probabilities(theta, self.design)
        self.curvature = self.curvature * (1 - self.curvature)
        self.diagonal = model._penalised() + damping
        self.n = len(y)

    def _on(self, rows, v: np.ndarray) -> np.ndarray:
        design = self.design[rows]
        return design.T @ (self.curvature[rows] * (design @ v)) / len(design) + self.diagonal * v

    def __call__(self, v: np.ndarray) -> np.ndarray:
        return self._on(slice(None), v)

    def recursion(self, g: np.ndarray, batches: np.ndarray, scale: float) -> np.ndarray:
        """LiSSA: h <- g + h - (H_batch + damping I) h / scale over the rows of `batches`; returns h / scale."""
        h = g
        for batch in batches:
            h = g + h - self._on(batch, h) / scale
        return h / scale
