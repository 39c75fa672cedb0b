"""scikit-learn's logistic regression behind the model interface (see models), binary or multinomial, in closed
form with numpy: its jobs (fit, gradients, Hessian, every influence function, refits) never load TensorFlow. The
tensor side of the interface (`loss`, `logits`, `layer_outputs`, `regularizer`), which test objectives other than
the loss differentiate, loads it when first called.

scikit-learn minimises C * sum_i log_loss_i + ||W||^2 / 2, i.e. n * C times mean_i log_loss_i + ||W||^2 / (2 C n),
whose Hessian is the one used here, with W every weight and no intercept. The regulariser's weight does not depend
on n, so a left-out point takes only its loss with it.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import expit, log_softmax, softmax

from influential.core import names


@dataclass(frozen=True)
class _Logistic:
    """What the binary and the multinomial model share: theta = [weights, intercepts], the weights first."""

    n_features: int
    C: float
    n_train: int

    kind = names.LOGISTIC_REGRESSION
    removal_includes_regularizer = False
    layer_names = ("logits",)
    n_logits = 1

    @property
    def n_weights(self) -> int:
        return self.n_logits * self.n_features

    @property
    def n_params(self) -> int:
        return self.n_weights + self.n_logits

    def meta(self) -> dict:
        return {"kind": self.kind, "n_features": self.n_features, "C": self.C, "n_train": self.n_train}

    def _design(self, x: np.ndarray) -> np.ndarray:
        """[x, 1] per example, float64."""
        x = np.asarray(x, dtype=np.float64).reshape(len(x), self.n_features)
        return np.hstack([x, np.ones((len(x), 1))])

    def _weight_curvature(self) -> float:
        return 1.0 / (self.C * self.n_train)

    def regularizer_value(self, theta: np.ndarray) -> float:
        return float(self.regularizer_product(theta) @ theta / 2)

    def regularizer_gradient(self, theta: np.ndarray) -> np.ndarray:
        return self.regularizer_product(theta)

    def regularizer_hessian(self, theta: np.ndarray) -> np.ndarray:
        return np.diag(np.append(np.full(self.n_weights, self._weight_curvature()), np.zeros(self.n_logits)))

    def regularizer_product(self, v: np.ndarray) -> np.ndarray:
        """The regulariser's (constant) Hessian times v: 1 / (C n) on the weights, 0 on the intercepts."""
        return np.concatenate([v[: self.n_weights] * self._weight_curvature(), np.zeros(self.n_logits)])

    def loss_gradient(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        """Gradient of the mean loss over (x, y)."""
        return self.per_example_gradients(theta, x, y, batch_size).mean(axis=0)

    def hessian_operator(self, theta, x, y, damping: float, batch_size: int) -> "HessianOperator":
        return HessianOperator(self, theta, x, damping)

    def regularizer(self, theta):
        import tensorflow as tf  # only objectives other than the loss differentiate a logistic regression

        return tf.reduce_sum(theta[: self.n_weights] ** 2) * self._weight_curvature() / 2


@dataclass(frozen=True)
class BinaryLogisticRegression(_Logistic):
    """theta = [w_1..w_d, b]: one logit z = w . x + b, class 1 against class 0."""

    n_classes = 2

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

    def loss_hessian(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        """Hessian of the mean loss: [x, 1]^T diag(p (1 - p)) [x, 1] / n."""
        design = self._design(x)
        p = self._probabilities(theta, design)
        return design.T @ (design * (p * (1 - p))[:, None]) / len(y)

    def log_odds_gradients(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per-example gradients of f = log(p / (1 - p)) of the label (TRAK's output): z for class 1, -z for 0."""
        return (2 * np.asarray(y, np.float64) - 1)[:, None] * self._design(x)

    def curvature_product(self, design: np.ndarray, probabilities: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The mean loss's Hessian over the rows of `design` times v: [x, 1]^T diag(p (1 - p)) [x, 1] v / n."""
        return design.T @ (probabilities * (1 - probabilities) * (design @ v)) / len(design)

    # The tensor side, for automatic differentiation of test objectives.
    def logits(self, theta, x):
        import tensorflow as tf

        x = tf.reshape(tf.cast(x, theta.dtype), (-1, self.n_features))
        return tf.linalg.matvec(x, theta[:-1]) + theta[-1]

    def layer_outputs(self, theta, x) -> list:
        return [self.logits(theta, x)[:, None]]

    def loss(self, theta, x, y):
        import tensorflow as tf

        return tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.cast(y, theta.dtype), logits=self.logits(theta, x))


@dataclass(frozen=True)
class MultinomialLogisticRegression(_Logistic):
    """theta = [W (n_classes x d, row by row), b (n_classes)], scikit-learn's coef_ and intercept_: logits W x + b,
    softmax cross-entropy.

    The loss does not change if a constant is added to every intercept, and nothing penalises that direction, so
    scikit-learn's objective is flat along it and its Hessian singular. lbfgs starts at b = 0 and no gradient has a
    component along it, so the fit has sum(b) = 0. The regulariser here adds (sum b)^2 / (2 C n K): zero at such a
    fit, so the fit and every refit is its unique minimum, and curvature 1 / (C n) along that direction, so the
    Hessian is invertible. No loss gradient has a component along it, so no influence changes.
    """

    n_classes: int = 10

    @property
    def n_logits(self) -> int:
        return self.n_classes

    def meta(self) -> dict:
        return {**super().meta(), "n_classes": self.n_classes}

    @cached_property
    def _layout(self) -> np.ndarray:
        """Positions in theta of the (n_classes, d + 1) matrix [W, b] read row by row."""
        weights = np.arange(self.n_weights).reshape(self.n_classes, self.n_features)
        return np.hstack([weights, self.n_weights + np.arange(self.n_classes)[:, None]]).ravel()

    def _matrix(self, v: np.ndarray) -> np.ndarray:
        """theta-shaped v as the (n_classes, d + 1) matrix [W, b]."""
        return v[self._layout].reshape(self.n_classes, self.n_features + 1)

    def _vector(self, matrix: np.ndarray) -> np.ndarray:
        """The inverse of `_matrix`, for (..., n_classes, d + 1)."""
        v = np.empty((*matrix.shape[:-2], self.n_params))
        v[..., self._layout] = matrix.reshape((*matrix.shape[:-2], -1))
        return v

    def _logits(self, theta: np.ndarray, design: np.ndarray) -> np.ndarray:
        return design @ self._matrix(theta).T

    def _probabilities(self, theta: np.ndarray, design: np.ndarray) -> np.ndarray:
        return softmax(self._logits(theta, design), axis=1)

    def losses(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per-example cross-entropy, -log softmax(z)_y."""
        return -log_softmax(self._logits(theta, self._design(x)), axis=1)[np.arange(len(y)), np.asarray(y, int)]

    def predict(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        return np.argmax(self._logits(theta, self._design(x)), axis=1).astype(np.int64)

    def per_example_gradients(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        """(p_i - e_{y_i}) outer [x_i, 1]."""
        design = self._design(x)
        residual = self._probabilities(theta, design)
        residual[np.arange(len(y)), np.asarray(y, int)] -= 1
        return self._vector(residual[:, :, None] * design[:, None, :])

    def loss_hessian(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        """Hessian of the mean loss: block (k, l) of [W, b] is [x, 1]^T diag(p_k (delta_kl - p_l)) [x, 1] / n."""
        design = self._design(x)
        p = self._probabilities(theta, design)
        k, width = self.n_classes, self.n_features + 1
        blocks = np.empty((k, width, k, width))
        for a in range(k):
            for b in range(a, k):
                weight = p[:, a] * ((a == b) - p[:, b])
                blocks[a, :, b, :] = design.T @ (design * weight[:, None]) / len(y)
                blocks[b, :, a, :] = blocks[a, :, b, :].T
        h = np.empty((self.n_params, self.n_params))
        h[np.ix_(self._layout, self._layout)] = blocks.reshape(k * width, k * width)
        return h

    def log_odds_gradients(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per-example gradients of f = log(p_y / (1 - p_y)) = z_y - log sum_{j != y} exp z_j (TRAK's output):
        (e_y - q) outer [x, 1], q the softmax over the other classes (q_y = 0)."""
        design, rows = self._design(x), np.arange(len(y))
        others = self._logits(theta, design)
        others[rows, np.asarray(y, int)] = -np.inf
        slope = -softmax(others, axis=1)
        slope[rows, np.asarray(y, int)] = 1.0
        return self._vector(slope[:, :, None] * design[:, None, :])

    def curvature_product(self, design: np.ndarray, probabilities: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The mean loss's Hessian over the rows of `design` times v: with dz = [W_v, b_v] [x, 1] per example, the
        softmax's curvature (diag p - p p^T) dz, back through [x, 1]."""
        dz = design @ self._matrix(v).T
        curved = probabilities * (dz - np.sum(probabilities * dz, axis=1, keepdims=True))
        return self._vector(curved.T @ design) / len(design)

    def regularizer_hessian(self, theta: np.ndarray) -> np.ndarray:
        h = super().regularizer_hessian(theta)
        h[self.n_weights :, self.n_weights :] = self._weight_curvature() / self.n_classes
        return h

    def regularizer_product(self, v: np.ndarray) -> np.ndarray:
        product = super().regularizer_product(v)
        product[self.n_weights :] = np.sum(v[self.n_weights :]) * self._weight_curvature() / self.n_classes
        return product

    # The tensor side, for automatic differentiation of test objectives.
    def logits(self, theta, x):
        import tensorflow as tf

        x = tf.reshape(tf.cast(x, theta.dtype), (-1, self.n_features))
        weights = tf.reshape(theta[: self.n_weights], (self.n_classes, self.n_features))
        return tf.matmul(x, weights, transpose_b=True) + theta[self.n_weights :]

    def layer_outputs(self, theta, x) -> list:
        return [self.logits(theta, x)]

    def loss(self, theta, x, y):
        import tensorflow as tf

        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(y, tf.int32), logits=self.logits(theta, x))

    def regularizer(self, theta):
        import tensorflow as tf

        intercepts = tf.reduce_sum(theta[self.n_weights :])
        return super().regularizer(theta) + intercepts**2 * self._weight_curvature() / (2 * self.n_classes)


class HessianOperator:
    """v -> (H + damping I) v for mean log loss + regulariser over a training set, without forming H (the model's
    `curvature_product` at the fit's probabilities); and LiSSA's recursion over minibatches of it."""

    def __init__(self, model: _Logistic, theta, x, damping: float):
        self.model = model
        self.design = model._design(x)
        self.probabilities = model._probabilities(theta, self.design)
        self.damping = damping
        self.n = len(self.design)

    def _on(self, rows, v: np.ndarray) -> np.ndarray:
        loss = self.model.curvature_product(self.design[rows], self.probabilities[rows], v)
        return loss + self.model.regularizer_product(v) + self.damping * v

    def __call__(self, v: np.ndarray) -> np.ndarray:
        return self._on(slice(None), v)

    def recursion(self, g: np.ndarray, batches: np.ndarray, scale: float) -> np.ndarray:
        """LiSSA: h <- g + h - (H_batch + damping I) h / scale over the rows of `batches`; returns h / scale."""
        h = g
        for batch in batches:
            h = g + h - self._on(batch, h) / scale
        return h / scale
