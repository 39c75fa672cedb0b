"""Models as pure functions of one flat parameter vector, so that gradients, Hessians and leave-one-out refits all
see the same objective.

A model's training objective is R(theta) = mean_i loss(theta, z_i) + regularizer(theta). Removing a training
point z changes the objective (up to a constant factor that does not move its minimum) by -removal_term(z) / n,
where removal_term is loss(z) alone when the regulariser's weight does not depend on n (scikit-learn's
C * sum(loss) + ||w||^2 / 2) and loss(z) + regularizer when it does (mean loss + weight decay, as Koh & Liang).
"""

from dataclasses import dataclass

import numpy as np
import tensorflow as tf


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


KINDS = {cls.kind: cls for cls in (BinaryLogisticRegression,)}


def from_meta(meta: dict):
    """Rebuild a model object from what `meta()` stored beside its parameters."""
    return KINDS[meta["kind"]](**{k: v for k, v in meta.items() if k != "kind"})


def for_dataset(model_config: dict, x_train: np.ndarray):
    """The model an experiment's validated `model` config describes, sized for its training inputs."""
    n_features = int(np.prod(x_train.shape[1:]))
    return from_meta(
        {
            "kind": model_config["kind"],
            "n_features": n_features,
            "C": float(model_config["C"]),
            "n_train": len(x_train),
        }
    )
