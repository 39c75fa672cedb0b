"""Arnoldi influence: the Hessian's leading eigenpairs from Hessian-vector products against numpy's full
eigendecomposition, and influence through them against the same truncation computed directly."""

import numpy as np
import pytest

from influential import models
from influential.core.errors import InputError
from influential.data.splits import Split
from influential.derivatives import gradients
from influential.derivatives import hessian as hs
from influential.influence import registry
from influential.training import fit as training


def test_the_leading_eigenpairs_are_the_largest_in_magnitude_negative_ones_included():
    rng = np.random.default_rng(0)
    basis, _ = np.linalg.qr(rng.standard_normal((40, 40)))
    values = np.concatenate([[-9.0, 7.0, 5.0, -3.0], rng.uniform(-1, 1, 36)])
    matrix = basis @ np.diag(values) @ basis.T
    leading = hs.FactorisedHessian.leading(lambda v: matrix @ v, 40, 4, 20, seed=1, tol=0.0, damping=0.5)
    order = np.argsort(leading.eigenvalues)
    np.testing.assert_allclose(leading.eigenvalues[order], [-9.0, -3.0, 5.0, 7.0], rtol=1e-10)
    for got, want in zip(leading.eigenvectors.T[order], basis[:, [0, 3, 2, 1]].T, strict=True):
        assert abs(got @ want) == pytest.approx(1.0, abs=1e-9)  # the same direction, up to sign
    v = rng.standard_normal(40)
    kept = basis[:, :4]
    np.testing.assert_allclose(leading.solve(v), kept @ ((kept.T @ v) / (values[:4] + 0.5)), rtol=1e-8)


@pytest.fixture(scope="module")
def fitted():
    """A four-class multinomial logistic regression: 16 parameters, a Hessian numpy can decompose."""
    rng = np.random.default_rng(5)
    y = np.arange(120) % 4
    x = (rng.standard_normal((120, 3)) + 1.5 * np.eye(4, 3)[y]).astype(np.float32)
    train, test = Split(x[:100], y[:100], np.arange(100)), Split(x[100:], y[100:], np.arange(100, 120))
    model = models.from_meta({"kind": "logistic_regression", "n_features": 3, "C": 0.4, "n_train": 100, "n_classes": 4})
    theta, _ = training.fit_logistic(model, train.x, train.y, tol=1e-12, max_iter=5000)
    return model, theta, train, test


def settings(rank: int, damping: float = 0.0) -> dict:
    return {"damping": damping, "batch_size": 32, "arnoldi": {"rank": rank, "krylov": 16, "seed": 0, "tol": 0.0}}


@pytest.mark.parametrize("rank", [3, 10])
def test_arnoldi_influence_is_the_truncated_inverse_computed_directly(fitted, rank):
    model, theta, train, test = fitted
    got = registry.build("arnoldi", settings(rank, 0.05), model, theta, train.x, train.y).change_if_removed(
        test.x, test.y
    )
    values, vectors = np.linalg.eigh(hs.hessian(model, theta, train.x, train.y))
    kept = np.argsort(-np.abs(values))[:rank]
    inverse = vectors[:, kept] @ np.diag(1 / (values[kept] + 0.05)) @ vectors[:, kept].T
    g_train = gradients.per_example_gradients(model, theta, train.x, train.y, 32)
    g_test = gradients.per_example_gradients(model, theta, test.x, test.y, 32)
    np.testing.assert_allclose(got, g_test @ inverse @ g_train.T / len(train), rtol=1e-6, atol=1e-12)


def test_arnoldi_approaches_exact_influence_as_its_rank_grows(fitted):
    """Dropping the directions of smallest curvature, which the inverse weights most: the error only shrinks, and
    vanishes at rank 12, where the kept span holds every loss gradient (which sum to zero over the four classes'
    rows, so they span (4 - 1) x (3 + 1) directions)."""
    model, theta, train, test = fitted
    exact = registry.build("exact", settings(1), model, theta, train.x, train.y).change_if_removed(test.x, test.y)
    errors = [
        np.linalg.norm(
            registry.build("arnoldi", settings(rank), model, theta, train.x, train.y).change_if_removed(test.x, test.y)
            - exact
        )
        for rank in (2, 5, 8, 12)
    ]
    assert errors == sorted(errors, reverse=True) and errors[-1] < 1e-9 * errors[0]


def test_a_rank_the_model_cannot_hold_is_refused_with_its_size(fitted):
    model, theta, train, _ = fitted
    with pytest.raises(InputError, match=r"influence\.arnoldi\.rank: 16 must be between 1 and the model's 15"):
        registry.build("arnoldi", settings(16), model, theta, train.x, train.y)
