"""TRAK against its formula computed directly in numpy on a small logistic problem, its reduction to an influence
function with the Gauss-Newton Hessian of the output function when nothing is projected away, and its rankings."""

import numpy as np
import pytest
from scipy.special import expit

from influential import models
from influential.influence import registry, trak
from influential.models.logistic import BinaryLogisticRegression
from influential.training import fit as training


@pytest.fixture
def fitted(logistic_problem):
    train, test = logistic_problem
    model = BinaryLogisticRegression(n_features=2, C=0.5, n_train=len(train))
    theta, _ = training.fit_logistic(model, train.x, train.y, tol=1e-10, max_iter=1000)
    return model, theta, train, test


def settings(k: int, models: int = 1, seed: int = 0, damping: float = 0.0) -> dict:
    return {"batch_size": 16, "trak": {"projection_dim": k, "models": models, "seed": seed, "damping": damping}}


def closed_form(theta, x, y):
    """The binary model's output function f = log(p / (1 - p)) of the label is s [x, 1] . theta (s = +-1), so its
    gradient is s [x, 1]; p of the label; the design [x, 1]."""
    design = np.hstack([x.astype(np.float64), np.ones((len(x), 1))])
    s = 2.0 * y - 1
    return s[:, None] * design, expit(s * (design @ theta))


@pytest.mark.parametrize("damping", [0.0, 5.0])
def test_trak_is_its_formula_with_the_seeded_projection(fitted, damping):
    model, theta, train, test = fitted
    estimator = registry.build("trak", settings(2, damping=damping), model, theta, train.x, train.y)
    got = estimator.change_if_removed(test.x, test.y)
    g, p = closed_form(theta, train.x, train.y)
    g_test, p_test = closed_form(theta, test.x, test.y)
    projection = np.random.default_rng(0).standard_normal((3, 2)) / np.sqrt(2)
    phi, phi_test = g @ projection, g_test @ projection
    kernel = np.linalg.inv(phi.T @ phi + damping * np.eye(2))
    tau = phi_test @ kernel @ phi.T * (1 - p)  # the paper's effect of including each point
    # the loss's change if a point is left out: minus its effect on the loss, grad loss = -(1 - p) grad f
    np.testing.assert_allclose(got, (1 - p_test)[:, None] * tau, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(trak.output_gradients(model, theta, train.x, train.y, 16), g, rtol=1e-10)


def test_unprojected_trak_is_an_influence_function_with_the_gauss_newton_hessian_of_the_output(fitted):
    """k = n_params: the projection cancels (any seed gives the same scores), leaving
    g_test^T (sum_i grad f_i grad f_i^T)^-1 grad f_i (1 - p_i)."""
    model, theta, train, test = fitted
    scores = [
        registry.build("trak", settings(3, seed=seed), model, theta, train.x, train.y).change_if_removed(test.x, test.y)
        for seed in (0, 7)
    ]
    np.testing.assert_allclose(scores[0], scores[1], rtol=1e-7, atol=1e-12)
    g, p = closed_form(theta, train.x, train.y)
    g_test, p_test = closed_form(theta, test.x, test.y)
    expected = (1 - p_test)[:, None] * (g_test @ np.linalg.solve(g.T @ g, g.T * (1 - p)))
    np.testing.assert_allclose(scores[0], expected, rtol=1e-7, atol=1e-12)


def test_an_ensemble_averages_its_members_and_the_rankings_are_its_diagonal_and_sum(fitted):
    model, theta, train, test = fitted
    members = [
        registry.build("trak", settings(2, seed=seed), model, theta, train.x, train.y).change_if_removed(test.x, test.y)
        for seed in (4, 5, 6)
    ]
    ensemble = registry.build("trak", settings(2, models=3, seed=4), model, theta, train.x, train.y)
    np.testing.assert_allclose(ensemble.change_if_removed(test.x, test.y), np.mean(members, axis=0), rtol=1e-10)
    on_train = ensemble.change_if_removed(train.x, train.y)
    np.testing.assert_allclose(ensemble.self_influence(), np.diag(on_train), rtol=1e-10)
    summed = ensemble.change_of_summed_loss(test.x, test.y)
    np.testing.assert_allclose(summed, ensemble.change_if_removed(test.x, test.y).sum(axis=0), rtol=1e-10)
    assert len(ensemble.diagnostics) == len(test) and ensemble.diagnostics[0]["models"] == 3  # one per test point


def output_problem(kind: str):
    """A model with random parameters and six examples: logistic regression's closed form, the all-CNN's batched
    per-example formula."""
    rng = np.random.default_rng(1)
    if kind == "all_cnn":
        from influential.models.all_cnn import AllCNN

        model = AllCNN(side=28, channels=1, n_classes=10, weight_decay=0.001)
        return model, rng.random((6, 28, 28, 1)), rng.integers(0, 10, 6), model.initial_params(3).astype(np.float64)
    classes = {"binary": 2, "multinomial": 4}[kind]
    model = models.from_meta(
        {"kind": "logistic_regression", "n_features": 5, "C": 1.0, "n_train": 6, "n_classes": classes}
    )
    return model, rng.random((6, 5)), np.arange(6) % classes, rng.standard_normal(model.n_params)


@pytest.mark.parametrize("kind", ["binary", "multinomial", "all_cnn"])
def test_output_gradients_by_the_models_formula_equal_tensorflows_jacobian(kind):
    model, x, y, theta = output_problem(kind)
    formula = trak.output_gradients(model, theta, x, y, batch_size=4)
    jacobian = trak.output_gradients(model, theta, x, y, batch_size=4, formula=False)
    np.testing.assert_allclose(formula, jacobian, rtol=1e-8, atol=1e-12)
