"""Multinomial logistic regression (scikit-learn's coef_ and intercept_) against finite differences, TensorFlow's
automatic differentiation of its tensor side, and leave-one-out refits."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from influential import models
from influential.core.errors import InputError
from influential.core.names import ACTUAL
from influential.data.splits import Split
from influential.derivatives import gradients, hessian
from influential.influence import registry
from influential.loo import gather, refit
from influential.models.logistic import MultinomialLogisticRegression
from influential.training import fit as training

CLASSES, FEATURES = 4, 3


@pytest.fixture(scope="module")
def fitted():
    """Four overlapping classes in three features: every class confused with another somewhere."""
    rng = np.random.default_rng(5)
    n = 180
    y = np.arange(n) % CLASSES
    x = (rng.standard_normal((n, FEATURES)) + 1.5 * np.eye(CLASSES, FEATURES)[y]).astype(np.float32)
    train, test = Split(x[:160], y[:160], np.arange(160)), Split(x[160:], y[160:], np.arange(160, n))
    model = models.from_meta(
        {"kind": "logistic_regression", "n_features": FEATURES, "C": 0.4, "n_train": 160, "n_classes": CLASSES}
    )
    theta, info = training.fit_logistic(model, train.x, train.y, tol=1e-12, max_iter=5000)
    assert info["converged"] and isinstance(model, MultinomialLogisticRegression)
    return model, theta, train, test


def numeric_gradient(f, point, eps=1e-6):
    return np.array([(f(point + eps * e) - f(point - eps * e)) / (2 * eps) for e in np.eye(len(point))])


def test_the_fit_is_scikit_learns_and_a_stationary_point_of_the_objective(fitted):
    """theta = [coef_ row by row, intercept_]; the intercepts sum to 0, so the added penalty is 0 there."""
    model, theta, train, _ = fitted
    assert model.n_params == CLASSES * (FEATURES + 1)
    weights, intercepts = theta[: CLASSES * FEATURES].reshape(CLASSES, FEATURES), theta[CLASSES * FEATURES :]
    expected = np.argmax(train.x @ weights.T + intercepts, axis=1)
    np.testing.assert_array_equal(model.predict(theta, train.x), expected)
    assert (
        abs(intercepts.sum()) < 1e-8
        and abs(model.regularizer_value(theta) - np.sum(weights**2) / (2 * 0.4 * 160)) < 1e-12
    )
    assert np.linalg.norm(gradients.objective_gradient(model, theta, train.x, train.y)) < 1e-6


def test_gradients_and_hessian_match_finite_differences(fitted):
    model, theta, train, _ = fitted
    point = theta + np.random.default_rng(0).normal(0, 0.3, len(theta))  # away from the optimum
    per_example = model.per_example_gradients(point, train.x, train.y, batch_size=7)
    for i in (0, 33):
        numeric = numeric_gradient(lambda t, i=i: model.losses(t, train.x[i : i + 1], train.y[i : i + 1])[0], point)
        np.testing.assert_allclose(per_example[i], numeric, rtol=1e-6, atol=1e-9)

    def objective_gradient(t):
        return gradients.objective_gradient(model, t, train.x, train.y)

    h = hessian.hessian(model, point, train.x, train.y)
    numeric = np.stack([numeric_gradient(lambda t, k=k: objective_gradient(t)[k], point) for k in range(len(point))])
    np.testing.assert_allclose(h, numeric, rtol=1e-5, atol=1e-8)
    v = np.random.default_rng(1).standard_normal(len(point))
    np.testing.assert_allclose(
        hessian.hessian_operator(model, point, train.x, train.y, 0.3)(v), (h + 0.3 * np.eye(len(h))) @ v
    )
    assert np.linalg.eigvalsh(h).min() > 0  # the intercepts' common shift is penalised: invertible


def test_the_closed_forms_match_automatic_differentiation_of_the_tensor_side(fitted):
    """What jobs use (numpy) against what test objectives differentiate (logits, loss, regulariser)."""
    from influential.derivatives import autodiff

    model, theta, train, _ = fitted
    point = theta + 0.1
    np.testing.assert_allclose(
        model.per_example_gradients(point, train.x, train.y, 7),
        autodiff.per_example_gradients(model, point, train.x, train.y, 7),
        rtol=1e-10,
        atol=1e-14,
    )
    np.testing.assert_allclose(
        model.loss_hessian(point, train.x, train.y, 13),
        autodiff.loss_hessian(model, point, train.x, train.y, 13),
        rtol=1e-10,
        atol=1e-14,
    )
    np.testing.assert_allclose(model.regularizer_hessian(point), autodiff.regularizer_hessian(model, point))
    np.testing.assert_allclose(model.losses(point, train.x, train.y), model.loss(point, train.x, train.y).numpy())
    assert model.layer_outputs(point, train.x)[0].shape == (len(train), CLASSES)


@pytest.mark.parametrize("name", ["exact", "cg", "lissa"])
def test_every_estimator_predicts_leave_one_out_refits(fitted, name):
    model, theta, train, test = fitted
    settings = {
        "damping": 0.0,
        "batch_size": 16,
        "cg": {"tol": 1e-12, "max_iter": 100},
        "lissa": {"scale": 2.0, "depth": 3000, "repeats": 1, "batch_size": 160, "seed": 0},
    }
    predicted = registry.build(name, settings, model, theta, train.x, train.y).change_if_removed(test.x, test.y)
    points = pd.DataFrame({"test": [f"t{i}" for i in range(len(test))], "test_position": range(len(test))})
    refits = refit.refit_logistic(model, theta, train, test, 1e-12, 5000)
    actual = gather.gather({"refits": refits}, points, None).pivot(
        index="test", columns="train_position", values=ACTUAL
    )
    for i in range(len(test)):
        actual_i = actual.loc[f"t{i}"].to_numpy()
        assert stats.pearsonr(predicted[i], actual_i).statistic > 0.99
        np.testing.assert_allclose(predicted[i], actual_i, atol=0.3 * np.abs(actual_i).max())


def test_a_missing_class_stops_the_fit_with_the_classes_found(fitted):
    model, _, train, _ = fitted
    keep = train.y != 2
    with pytest.raises(InputError, match=r"needs every class 0..3 in the training labels, got \[0 1 3\]"):
        training.fit_logistic(model, train.x[keep], train.y[keep], tol=1e-8, max_iter=100)
