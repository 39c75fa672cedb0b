"""Second-order machinery against closed forms for scikit-learn's binary logistic regression."""

import numpy as np
import pytest
from scipy.special import expit

from influential import models
from influential.core.errors import InputError
from influential.derivatives import gradients
from influential.derivatives import hessian as hs
from influential.training import fit as training


def design(x):
    return np.hstack([x.reshape(len(x), -1), np.ones((len(x), 1))])


@pytest.fixture
def fitted(logistic_problem):
    train, _ = logistic_problem
    model = models.BinaryLogisticRegression(n_features=2, C=0.7, n_train=len(train))
    theta, info = training.fit_logistic(model, train.x, train.y, tol=1e-10, max_iter=1000)
    assert info["converged"]
    return model, theta, train


def closed_form_hessian(model, theta, x, y):
    """Mean-form objective of scikit-learn: mean log loss + ||w||^2 / (2 C n); the intercept is unpenalised."""
    a = design(x).astype(np.float64)
    p = expit(a @ theta)
    h = a.T @ (a * (p * (1 - p))[:, None]) / len(y)
    h[:-1, :-1] += np.eye(len(theta) - 1) / (model.C * len(y))
    return h


def test_per_example_gradients_match_the_closed_form(fitted):
    model, theta, train = fitted
    a = design(train.x).astype(np.float64)
    expected = (expit(a @ theta) - train.y)[:, None] * a
    got = gradients.per_example_gradients(model, theta, train.x, train.y, batch_size=7)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_hessian_matches_the_closed_form(fitted):
    model, theta, train = fitted
    got = hs.hessian(model, theta, train.x, train.y, batch_size=13)
    np.testing.assert_allclose(got, closed_form_hessian(model, theta, train.x, train.y), rtol=1e-10, atol=1e-13)


def test_scikit_learn_fit_is_a_stationary_point_of_our_objective(fitted):
    """Our objective is exactly the one scikit-learn minimises (C scaling, unpenalised intercept)."""
    model, theta, train = fitted
    assert np.linalg.norm(gradients.objective_gradient(model, theta, train.x, train.y)) < 1e-6


def test_objective_gradient_matches_finite_differences(fitted):
    model, theta, train = fitted
    point = theta + 0.3  # away from the optimum, where the gradient is not zero

    def objective(t):
        return np.mean(model.losses(t, train.x, train.y)) + np.sum(t[:-1] ** 2) / (2 * model.C * len(train))

    eps = 1e-6
    numeric = [(objective(point + eps * e) - objective(point - eps * e)) / (2 * eps) for e in np.eye(len(point))]
    np.testing.assert_allclose(gradients.objective_gradient(model, point, train.x, train.y), numeric, rtol=1e-6)


def test_hessian_vector_product_matches_finite_differences_of_gradients(fitted):
    model, theta, train = fitted
    v = np.array([0.3, -1.0, 0.5])
    eps = 1e-5
    numeric = (
        gradients.objective_gradient(model, theta + eps * v, train.x, train.y)
        - gradients.objective_gradient(model, theta - eps * v, train.x, train.y)
    ) / (2 * eps)
    np.testing.assert_allclose(hs.HessianOperator(model, theta, train.x, train.y, batch_size=9)(v), numeric, rtol=1e-6)


def test_factorised_solve_with_damping(fitted):
    model, theta, train = fitted
    h = hs.hessian(model, theta, train.x, train.y)
    factorised = hs.FactorisedHessian.of(h, damping=0.05)
    v = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(factorised.solve(v), np.linalg.solve(h + 0.05 * np.eye(3), v), rtol=1e-10)
    np.testing.assert_allclose(factorised.solve(v[:, 0]), np.linalg.solve(h + 0.05 * np.eye(3), v[:, 0]), rtol=1e-10)
    summary = factorised.summary()
    assert summary["min_eigenvalue"] == pytest.approx(np.linalg.eigvalsh(h).min())
    assert summary["damped_positive_definite"] is True


def test_indefinite_matrix_is_reported_and_singular_is_refused():
    indefinite = hs.FactorisedHessian.of(np.diag([-0.5, 2.0]), damping=0.01)
    assert indefinite.summary()["n_negative_eigenvalues"] == 1
    assert not indefinite.positive_definite
    with pytest.raises(InputError, match=r"raise influence\.damping"):
        hs.FactorisedHessian.of(np.diag([-0.5, 2.0]), damping=0.5).solve(np.ones(2))
