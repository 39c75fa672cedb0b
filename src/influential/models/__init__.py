"""Models behind one interface, so that derivatives, influence estimators, test objectives, the Adam loop and HYDRA
never ask which model they hold.

A model is a small frozen object describing an architecture; its parameters are one flat vector `theta`. It offers:

- what it is: `kind` (names.MODEL_KINDS), `n_params`, `n_classes`, `layer_names` (its representations, input side
  first, the logits last), `meta()` (what `from_meta` rebuilds it from), `removal_includes_regularizer` (whether a
  left-out point takes its share of the regulariser with it: see influence.functions);
- numpy in, numpy out (what jobs call): `losses`, `predict`, `per_example_gradients`, `loss_gradient` and `loss_hessian`
  (of the mean loss over some examples), `regularizer_value`,
  `regularizer_gradient`, `regularizer_hessian`, `hessian_operator` (Hessian-vector products over the training set
  and LiSSA's minibatch recursion);
- tensors in, tensors out (what automatic differentiation needs: test objectives, Adam, HYDRA): `loss` (per
  example), `logits`, `layer_outputs`, `regularizer`;
- when trained by Adam (training.adam): `initial_params(seed)`, `stacked_losses` and `stacked_regularizer` of K
  models at once; optionally `batch_gradients` (per-example gradients as a tensor inside a compiled step, where a
  model has a fast formula), which Hessian-free HYDRA's sweeps use instead of forward mode.

Logistic regression (binary with one logit, or multinomial) computes everything in closed form with numpy and loads
TensorFlow only for the tensor side; the Gaussian mixture of `mixtures:` (models.gaussian_mixture) is numpy only, its
test objective -log p(y | x) its own method, and its jobs build it directly (mixture.fit), so that no other job's
code holds it; so do the Skip-gram's of `word_embeddings:` (models.skipgram_layout, models.skipgram: examples are unit
ids, the model holds the units' pairs); the all-CNN gets the generic derivatives by automatic differentiation
(models.autodiff) and overrides the two that have fast formulas (batched per-example gradients, the layer-block
Hessian); a user's Keras model (models.keras_model) gets them all by automatic differentiation through Keras's
stateless calls. Adding a model is one module here, a `kind` in names.MODEL_KINDS and its config schema.
"""

import numpy as np

from influential.core.names import ALL_CNN, KERAS, LOGISTIC_REGRESSION, MODEL_KINDS

CHECKED_EXAMPLES = 64  # a user's Keras model is called on this many training examples before it is trained


def from_meta(meta: dict):
    """Rebuild a model object from what `meta()` stored beside its parameters. A model's module is imported only
    when it is used, so a logistic-regression job never loads TensorFlow."""
    kind, settings = meta["kind"], {k: v for k, v in meta.items() if k != "kind"}
    if kind == LOGISTIC_REGRESSION:
        from influential.models.logistic import BinaryLogisticRegression, MultinomialLogisticRegression

        n_classes = settings.pop("n_classes", 2)
        if n_classes > 2:
            return MultinomialLogisticRegression(**settings, n_classes=n_classes)
        return BinaryLogisticRegression(**settings)  # one logit
    if kind == ALL_CNN:
        from influential.models.all_cnn import AllCNN

        return AllCNN(**settings)
    if kind == KERAS:
        from influential.models.keras_model import KerasModel

        return KerasModel(**settings)
    raise ValueError(f"unknown model kind {kind!r} (known: {', '.join(MODEL_KINDS)})")


def restricted_for(model, theta: np.ndarray, settings: dict) -> tuple:
    """(model, theta) restricted to the estimator settings' `layers` (models.restricted), or as they are when they
    name none (and TensorFlow is not loaded)."""
    if not settings.get("layers"):
        return model, theta
    from influential.models.restricted import Restricted

    restricted = Restricted.to_layers(model, theta, settings["layers"])
    return restricted, theta[restricted.mask]


def for_dataset(model_config: dict, dataset):
    """The model an experiment's validated `model` config describes, sized for its data."""
    x = dataset.train.x
    if model_config["kind"] == LOGISTIC_REGRESSION:
        return from_meta(
            {
                "kind": LOGISTIC_REGRESSION,
                "n_features": int(np.prod(x.shape[1:])),
                "C": float(model_config["C"]),
                "n_train": len(x),
                "n_classes": dataset.n_classes,
            }
        )
    if model_config["kind"] == KERAS:
        model = from_meta(
            {
                "kind": KERAS,
                **{key: model_config[key] for key in ("file", "build", "output", "layers")},
                "input_shape": list(x.shape[1:]),
                "n_classes": dataset.n_classes,
                "weight_decay": float(model_config["weight_decay"]),
            }
        )
        model.check(x[:CHECKED_EXAMPLES], dataset.train.y[:CHECKED_EXAMPLES])
        return model
    if x.ndim != 4 or x.shape[1] != x.shape[2]:
        raise ValueError(f"all_cnn needs square images (n, side, side, channels), got inputs of shape {x.shape}")
    return from_meta(
        {
            "kind": ALL_CNN,
            "side": x.shape[1],
            "channels": x.shape[3],
            "n_classes": dataset.n_classes,
            "weight_decay": float(model_config["weight_decay"]),
        }
    )
