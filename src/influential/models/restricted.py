"""A model's objective as a function of the parameters of some of its layers, every other parameter held at the
trained values (`influence.layers`, as influenciae's start and last layer): the influence functions then solve in
those parameters only, for a model whose full parameter count makes even conjugate gradients slow.

The restricted model is a model like any other (see models): theta is the chosen entries of the full vector, in
their order; every tensor-side call puts them back into the full vector and asks the full model; per-example
gradients are the full model's (its fast formula, where it has one), cut to the chosen entries.
"""

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from influential.core.errors import InputError
from influential.models.autodiff import AutodiffModel


def layer_of(path: str) -> str:
    """The layer a parameter tensor belongs to, from its name in `shapes` ("h1_a/weights", "hidden/kernel")."""
    return path.split("/")[0]


@dataclass(frozen=True, eq=False)
class Restricted(AutodiffModel):
    full_model: object
    full_theta: np.ndarray
    mask: np.ndarray

    removal_includes_regularizer = True

    @classmethod
    def to_layers(cls, model, theta: np.ndarray, layers) -> "Restricted":
        shapes = getattr(model, "shapes", None)
        if shapes is None:
            raise InputError(f"influence.layers: a {model.kind} model has no layers to restrict influence to")
        with_parameters = list(dict.fromkeys(layer_of(path) for path, _ in shapes))
        unknown = [layer for layer in layers if layer not in with_parameters]
        if unknown:
            raise InputError(
                f"influence.layers: {unknown[0]!r} holds no parameters of this {model.kind} model "
                f"(layers with parameters: {', '.join(with_parameters)})"
            )
        mask = np.concatenate([np.full(int(np.prod(shape)), layer_of(path) in layers) for path, shape in shapes])
        return cls(model, np.asarray(theta), mask)

    def __getattr__(self, name):  # what it is (kind, n_classes, layer_names, ...) is the full model's
        if name == "full_model":  # not yet set (a copy being made)
            raise AttributeError(name)
        return getattr(self.full_model, name)

    @property
    def n_params(self) -> int:
        return int(self.mask.sum())

    def full(self, theta: tf.Tensor) -> tf.Tensor:
        """The full parameter vector with the chosen entries replaced by theta. A layer's entries are contiguous, so
        this is a concatenation of slices: scatter and gather would give IndexedSlices gradients, which forward-mode
        Hessian-vector products cannot take."""
        bounds = np.flatnonzero(np.diff(self.mask.astype(np.int8), prepend=0, append=0))  # starts and ends of runs
        pieces, at, taken = [], 0, 0
        for start, stop in zip(bounds[::2], bounds[1::2], strict=True):
            pieces.append(tf.constant(self.full_theta[at:start], theta.dtype))
            pieces.append(theta[taken : taken + stop - start])
            at, taken = stop, taken + stop - start
        pieces.append(tf.constant(self.full_theta[at:], theta.dtype))
        return tf.concat(pieces, axis=0)

    def loss(self, theta, x, y):
        return self.full_model.loss(self.full(theta), x, y)

    def logits(self, theta, x):
        return self.full_model.logits(self.full(theta), x)

    def layer_outputs(self, theta, x):
        return self.full_model.layer_outputs(self.full(theta), x)

    def regularizer(self, theta):
        return self.full_model.regularizer(self.full(theta))

    def per_example_gradients(self, theta: np.ndarray, x, y, batch_size: int) -> np.ndarray:
        full = self.full_theta.astype(theta.dtype)
        full[self.mask] = theta
        return self.full_model.per_example_gradients(full, x, y, batch_size)[:, self.mask]
