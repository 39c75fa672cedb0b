"""Test objectives (cross-loss influence): values against numpy, gradients against finite differences, bad keys."""

import numpy as np
import pytest

from influential.core import names
from influential.core.errors import InputError
from influential.data.splits import Dataset, Split
from influential.models.all_cnn import AllCNN
from influential.models.logistic import BinaryLogisticRegression
from influential.testpoints import cross_loss
from influential.testpoints.objectives import Objective

CNN_OBJECTIVES = [
    {"kind": "cross_entropy"},
    {"kind": "margin"},
    {"kind": "probability", "class": 2},
    {"kind": "centroid_distance", "class": 1, "layer": "logits"},
    {"kind": "centroid_distance", "class": 0, "layer": "h2_a"},
    {"kind": "embedding_distance", "layer": "h3_d", "split": "train", "position": 3},
    {"kind": "embedding_distance", "layer": "logits", "split": "test", "position": 1},
]


def tiny_cnn(n=12, seed=0):
    rng = np.random.default_rng(seed)
    model = AllCNN(side=28, channels=1, n_classes=3, weight_decay=0.01, hidden=2)
    x = rng.random((n + 4, 28, 28, 1))
    y = np.arange(n + 4) % 3
    split = lambda a, b: Split(x[a:b], y[a:b], np.arange(a, b))  # noqa: E731
    dataset = Dataset(split(0, n), split(n, n + 2), split(n + 2, n + 4), meta={"n_classes": 3, "marked": {}})
    return model, dataset, rng.normal(size=model.n_params) * 0.5


def numpy_value(spec, model, dataset, theta, x, y):
    """The objective from the model's numpy outputs, written out independently of objectives.py."""
    layers = dict(zip(names.LAYERS, model.representations(theta, x).values(), strict=True))
    logits = layers["logits"].astype(np.float64)
    kind = spec["kind"]
    if kind == "cross_entropy":
        return model.losses(theta, x, y)
    if kind == "margin":
        others = np.where(np.eye(logits.shape[1])[y] == 1, -np.inf, logits)
        return logits[np.arange(len(y)), y] - others.max(axis=1)
    if kind == "probability":
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True))[:, spec["class"]]
    if kind == "centroid_distance":
        members = dataset.train.x[dataset.train.y == spec["class"]]
        reference = model.representations(theta, members)[spec["layer"]].mean(axis=0)
    else:
        other = getattr(dataset, spec["split"]).x[[spec["position"]]]
        reference = model.representations(theta, other)[spec["layer"]][0]
    return np.linalg.norm(model.representations(theta, x)[spec["layer"]] - reference, axis=1)


@pytest.mark.parametrize("spec", CNN_OBJECTIVES, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_all_cnn_objective_values_and_gradients(spec):
    model, dataset, theta = tiny_cnn()
    bound = cross_loss.bind(Objective.from_config(spec), model, dataset)
    x, y = dataset.test.x, dataset.test.y
    values = bound.evaluate(theta[None], x, y)[0]
    np.testing.assert_allclose(values, numpy_value(spec, model, dataset, theta, x, y), rtol=1e-5)

    # each test example's gradient along a random direction against central differences of the values
    grads = bound.gradients(theta, x, y)
    direction = np.random.default_rng(1).normal(size=theta.shape)
    eps = 1e-5
    plus, minus = (bound.evaluate((theta + s * eps * direction)[None], x, y)[0] for s in (1, -1))
    np.testing.assert_allclose(grads @ direction, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-9)


def test_logistic_regression_objectives():
    rng = np.random.default_rng(0)
    model = BinaryLogisticRegression(n_features=4, C=1.0, n_train=10)
    x, y = rng.normal(size=(6, 4)), np.array([0, 1, 1, 0, 1, 0])
    split = Split(x, y, np.arange(6))
    dataset = Dataset(split, split, split, meta={"n_classes": 2, "marked": {}})
    theta = rng.normal(size=5)
    logit = x @ theta[:-1] + theta[-1]
    margin = cross_loss.bind(Objective.from_config({"kind": "margin"}), model, dataset)
    np.testing.assert_allclose(margin.evaluate(theta[None], x, y)[0], np.where(y == 1, logit, -logit))
    probability = cross_loss.bind(Objective.from_config({"kind": "probability", "class": 1}), model, dataset)
    np.testing.assert_allclose(probability.evaluate(theta[None], x, y)[0], 1 / (1 + np.exp(-logit)))
    # d sigmoid / d theta = p (1 - p) [x, 1]
    p = 1 / (1 + np.exp(-logit))
    expected = (p * (1 - p))[:, None] * np.hstack([x, np.ones((6, 1))])
    np.testing.assert_allclose(probability.gradients(theta, x, y), expected, rtol=1e-10)


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"kind": "probability", "class": 3}, r"^objective.class: 3 is not a class of this model \(0..2\)$"),
        ({"kind": "centroid_distance"}, r"^objective.class: None is not a class"),
        ({"kind": "centroid_distance", "class": 0, "layer": "h9"}, r"^objective.layer: 'h9' is not a layer"),
        (
            {"kind": "embedding_distance", "split": "test", "position": 2},
            r"^objective.position: 2 is outside the test split \(0..1\)$",
        ),
    ],
)
def test_bad_objectives_say_which_key(spec, message):
    model, dataset, _ = tiny_cnn()
    with pytest.raises(InputError, match=message):
        cross_loss.bind(Objective.from_config(spec), model, dataset)


def test_config_round_trip_keeps_only_the_keys_a_kind_uses():
    spec = {"kind": "centroid_distance", "class": 6, "layer": "logits"}
    assert Objective.from_config(spec).to_config() == spec
    assert Objective.from_config(None).to_config() == {"kind": "cross_entropy"}
    assert Objective.from_config(spec).label == "distance in logits to the class-6 centroid"


def test_a_centroid_of_a_class_without_training_examples_is_refused():
    model, dataset, _ = tiny_cnn()
    train = dataset.train
    without_2 = Split(train.x, np.where(train.y == 2, 0, train.y), train.index)
    dataset = Dataset(without_2, dataset.validation, dataset.test, meta=dataset.meta)
    with pytest.raises(InputError, match=r"^objective.class: class 2 has no training examples to take a centroid of$"):
        cross_loss.bind(Objective.from_config({"kind": "centroid_distance", "class": 2}), model, dataset)
