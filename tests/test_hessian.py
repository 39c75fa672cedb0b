"""Second-order machinery against closed forms for scikit-learn's binary logistic regression."""

import subprocess
import sys

import numpy as np
import pytest
from scipy.special import expit

from influential.core.errors import InputError
from influential.derivatives import gradients
from influential.derivatives import hessian as hs
from influential.models.logistic import BinaryLogisticRegression
from influential.training import fit as training

from .conftest import REPO


def design(x):
    return np.hstack([x.reshape(len(x), -1), np.ones((len(x), 1))])


@pytest.fixture
def fitted(logistic_problem):
    train, _ = logistic_problem
    model = BinaryLogisticRegression(n_features=2, C=0.7, n_train=len(train))
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
    np.testing.assert_allclose(hs.hessian_operator(model, theta, train.x, train.y, batch_size=9)(v), numeric, rtol=1e-6)


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


def test_logistic_regressions_closed_forms_match_its_tensor_side(fitted):
    """The numpy side (what jobs use) against automatic differentiation of the tensor side (what objectives use)."""
    from influential.derivatives import autodiff

    model, theta, train = fitted
    np.testing.assert_allclose(
        model.per_example_gradients(theta, train.x, train.y, 7),
        autodiff.per_example_gradients(model, theta, train.x, train.y, 7),
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        model.loss_hessian(theta, train.x, train.y, 13), autodiff.loss_hessian(model, theta, train.x, train.y, 13)
    )
    np.testing.assert_allclose(model.regularizer_hessian(theta), autodiff.regularizer_hessian(model, theta))
    np.testing.assert_allclose(model.losses(theta, train.x, train.y), model.loss(theta, train.x, train.y).numpy())


def test_logistic_regression_never_loads_tensorflow():
    """Its jobs' work is milliseconds; TensorFlow's start-up would be most of their time."""
    probe = f"""
import sys
sys.path.insert(0, {str(REPO / "src")!r})
import numpy as np
from influential.data.splits import Dataset, Split
from influential.influence import registry
from influential.loo import refit
from influential.training import fit
rng = np.random.default_rng(0)
for classes in (2, 3):  # binary and multinomial
    x, y = rng.standard_normal((40, 3)), (np.arange(40) % classes)
    split, test = Split(x[:30], y[:30], np.arange(30)), Split(x[30:], y[30:], np.arange(30, 40))
    trained = fit.train({{"kind": "logistic_regression", "C": 1.0}}, {{"tol": 1e-8, "max_iter": 100}},
                        Dataset(split, Split(x[:0], y[:0], np.arange(0)), test, meta={{"n_classes": classes}}))
    settings = {{"batch_size": 8, "damping": 0.0, "cg": {{"tol": 1e-8, "max_iter": 50}},
                "lissa": {{"scale": 10.0, "depth": 50, "repeats": 1, "batch_size": 5, "seed": 0}}}}
    for name in ("exact", "cg", "lissa"):
        registry.build(name, settings, trained.model, trained.theta, split.x, split.y).change_if_removed(test.x, test.y)
    refit.refit_logistic(trained.model, trained.theta, split, test, 1e-8, 100)
print("tensorflow" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False"]
