"""Cross-loss influence (Silva, Chopra and Gombolay 2020): a test objective (influential.objectives) as a function
of the parameters, with its values and gradients per test example and its values under many parameter vectors
(the stored leave-one-out models)."""

import numpy as np
import tensorflow as tf

from influential.core import names
from influential.core.errors import InputError
from influential.derivatives import gradients
from influential.models import AllCNN
from influential.testpoints.objectives import Objective


def bind(objective: Objective, model, dataset) -> "BoundObjective":
    """The objective as a function of the parameters and test examples, its other examples taken from
    `dataset`; checks that they exist."""
    if objective.kind in (names.CENTROID_DISTANCE, names.EMBEDDING_DISTANCE):
        if isinstance(model, AllCNN) and objective.layer not in names.LAYERS:
            raise InputError(f"objective.layer: {objective.layer!r} is not a layer (known: {', '.join(names.LAYERS)})")
        if not isinstance(model, AllCNN) and objective.layer != "logits":
            raise InputError(f"objective.layer: {model.kind} has only the layer 'logits', not {objective.layer!r}")
    others = None
    if objective.kind in (names.PROBABILITY, names.CENTROID_DISTANCE):
        n_classes = 2 if not isinstance(model, AllCNN) else model.n_classes
        if objective.cls is None or not 0 <= objective.cls < n_classes:
            raise InputError(f"objective.class: {objective.cls!r} is not a class of this model (0..{n_classes - 1})")
        others = dataset.train.x[dataset.train.y == objective.cls]
        if objective.kind == names.CENTROID_DISTANCE and not len(others):
            raise InputError(f"objective.class: class {objective.cls} has no training examples to take a centroid of")
    if objective.kind == names.EMBEDDING_DISTANCE:
        split, position = getattr(dataset, objective.split), objective.position
        if position is None or not 0 <= position < len(split):
            raise InputError(
                f"objective.position: {position!r} is outside the {objective.split} split (0..{len(split) - 1})"
            )
        others = split.x[[position]]
    return BoundObjective(objective, model, others)


class BoundObjective:
    """An objective on one model and dataset: values and gradients per test example, and values under many
    parameter vectors (retrained models)."""

    def __init__(self, objective: Objective, model, others: np.ndarray | None):
        self.objective, self.model, self.others = objective, model, others

    def _layer(self, theta: tf.Tensor, x) -> tf.Tensor:
        if not isinstance(self.model, AllCNN):
            return self.model.logits(theta, x)[:, None]
        output = self.model.layer_outputs(theta, x)[names.LAYERS.index(self.objective.layer)]
        return tf.reshape(output, (tf.shape(output)[0], -1))

    def values(self, theta: tf.Tensor, x, y) -> tf.Tensor:
        """The objective of each test example, shape (n,)."""
        kind, model = self.objective.kind, self.model
        if kind == names.CROSS_ENTROPY:
            return model.loss(theta, x, y)
        if kind in (names.CENTROID_DISTANCE, names.EMBEDDING_DISTANCE):
            reference = tf.reduce_mean(self._layer(theta, self.others), axis=0)
            squared = tf.reduce_sum((self._layer(theta, x) - reference) ** 2, axis=1)
            positive = squared > 0  # at distance 0 (an example to itself) the gradient is 0, not NaN
            return tf.where(positive, tf.sqrt(tf.where(positive, squared, 1)), 0)
        logits = model.logits(theta, x)
        if not isinstance(model, AllCNN):  # binary: the logit of class 1 against 0
            logits = tf.stack([tf.zeros_like(logits), logits], axis=1)
        if kind == names.PROBABILITY:
            return tf.nn.softmax(logits)[:, self.objective.cls]
        true = tf.one_hot(tf.cast(y, tf.int32), tf.shape(logits)[1], dtype=logits.dtype) > 0
        others = tf.where(true, tf.constant(logits.dtype.min, logits.dtype), logits)
        return tf.boolean_mask(logits, true) - tf.reduce_max(others, axis=1)

    def gradients(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Each test example's objective gradient, shape (n, n_params)."""
        if self.objective.kind == names.CROSS_ENTROPY:
            return gradients.per_example_gradients(self.model, theta, x, y, batch_size)
        t = tf.constant(theta)
        with tf.GradientTape() as tape:
            tape.watch(t)
            values = self.values(t, x, y)
        return tape.jacobian(values, t).numpy()

    def evaluate(self, thetas: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The objective of each test example under each parameter vector, shape (len(thetas), n)."""
        return np.stack([self.values(tf.constant(theta), x, y).numpy() for theta in thetas])
