"""Cross-loss influence (Silva, Chopra and Gombolay 2020): a test objective (testpoints.objectives) as a function of
the parameters, with its values and gradients per test example and its values under many parameter vectors (the
stored leave-one-out models). The loss goes through the model's own numpy side; other objectives are differentiated
by TensorFlow (testpoints.autodiff_objectives), loaded only for them."""

import numpy as np

from influential.core import names
from influential.core.errors import InputError
from influential.derivatives import gradients
from influential.testpoints.objectives import Objective


def bind(objective: Objective, model, dataset) -> "BoundObjective":
    """The objective as a function of the parameters and test examples, its other examples taken from
    `dataset`; checks that they exist."""
    if (
        objective.kind in (names.CENTROID_DISTANCE, names.EMBEDDING_DISTANCE)
        and objective.layer not in model.layer_names
    ):
        known = ", ".join(model.layer_names)
        raise InputError(f"objective.layer: {objective.layer!r} is not a layer of {model.kind} (known: {known})")
    others = None
    if objective.kind in (names.PROBABILITY, names.CENTROID_DISTANCE):
        if objective.cls is None or not 0 <= objective.cls < model.n_classes:
            raise InputError(
                f"objective.class: {objective.cls!r} is not a class of this model (0..{model.n_classes - 1})"
            )
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

    @property
    def is_loss(self) -> bool:
        return self.objective.kind == names.CROSS_ENTROPY

    def gradients(
        self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = gradients.BATCH_SIZE
    ) -> np.ndarray:
        """Each test example's objective gradient, shape (n, n_params)."""
        if self.is_loss:
            return gradients.per_example_gradients(self.model, theta, x, y, batch_size)
        from influential.testpoints import autodiff_objectives

        return autodiff_objectives.gradients(self, theta, x, y)

    def evaluate(self, thetas: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The objective of each test example under each parameter vector, shape (len(thetas), n)."""
        if self.is_loss:
            return np.stack([self.model.losses(theta, x, y) for theta in thetas])
        from influential.testpoints import autodiff_objectives

        return autodiff_objectives.evaluate(self, thetas, x, y)
