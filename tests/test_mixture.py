"""The Gaussian mixture of the cross-loss experiment: its likelihood against scikit-learn's, its derivatives against
finite differences, its fits, and influence against up-weighting and leave-one-out refits."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.mixture import GaussianMixture as ExpectationMaximisation

from influential.core.errors import InputError
from influential.derivatives import hessian as hs
from influential.evaluation import agreement as evaluation
from influential.mixture import data as mixture_data
from influential.mixture import fit as mixture
from influential.models.gaussian_mixture import GaussianMixture

from .conftest import REPO

MEANS = [[0.0, 0.0], [5.0, 5.0], [5.0, -5.0]]


@pytest.fixture(scope="module")
def data():
    return mixture_data.gaussian_blobs(MEANS, 1.25, 15, seed=1)


@pytest.fixture(scope="module")
def em(data):
    return ExpectationMaximisation(3, covariance_type="full", random_state=0).fit(data[0])


def model_on(data, training, l2):
    return GaussianMixture.for_data(*data, 3, training, l2)


@pytest.fixture(scope="module")
def unsupervised(data):
    model = model_on(data, "unsupervised", 0.0)
    theta, record = mixture.fit(model, *data, seed=0, n_init=1, gtol=1e-10)
    return model, theta, record


def central_differences(f, theta, step=1e-6):
    columns = []
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = step
        columns.append((np.asarray(f(theta + e)) - np.asarray(f(theta - e))) / (2 * step))
    return np.stack(columns, -1)


def test_blobs_are_seeded_and_labelled_by_cluster():
    x, y = mixture_data.gaussian_blobs(MEANS, 0.5, 40, seed=3)
    again, _ = mixture_data.gaussian_blobs(MEANS, 0.5, 40, seed=3)
    np.testing.assert_array_equal(x, again)
    assert x.shape == (120, 2) and np.bincount(y).tolist() == [40, 40, 40]
    for c, mean in enumerate(MEANS):
        np.testing.assert_allclose(x[y == c].mean(0), mean, atol=0.25)
        np.testing.assert_allclose(x[y == c].std(0), 0.5, rtol=0.3)


def test_parameters_round_trip_through_scikit_learns_mixture(em):
    model = GaussianMixture(3, 2, "unsupervised", 0.0)
    theta = model.pack(em.means_, em.precisions_cholesky_, em.weights_)
    assert theta.shape == (model.n_params,) == (17,)
    means, covariances, weights = model.unpack(theta)
    np.testing.assert_allclose(means, em.means_, rtol=1e-12)
    np.testing.assert_allclose(covariances, em.covariances_, rtol=1e-10)
    np.testing.assert_allclose(weights, em.weights_, rtol=1e-12)


def test_losses_are_scikit_learns_likelihood_and_posterior(data, em):
    x, y = data
    unsupervised = model_on(data, "unsupervised", 0.0)
    theta = unsupervised.pack(em.means_, em.precisions_cholesky_, em.weights_)
    np.testing.assert_allclose(unsupervised.losses(theta, x, y), -em.score_samples(x), rtol=1e-12)
    posterior = em.predict_proba(x)[np.arange(len(y)), y]
    objectives = unsupervised.posterior_losses(theta, x, y)
    np.testing.assert_allclose(objectives, -np.log(posterior), rtol=1e-9, atol=1e-300)
    np.testing.assert_array_equal(unsupervised.predict(theta, x), em.predict(x))
    matched = model_on(data, "matched", 0.1).losses(theta, x, y)
    np.testing.assert_allclose(matched, objectives, rtol=1e-15)
    value, _ = mixture.WeightedObjective(unsupervised, x, y)(theta)
    np.testing.assert_allclose(value, -em.score(x), rtol=1e-12)


def test_a_confident_points_objective_does_not_round_to_zero(data, unsupervised):
    model, theta, _ = unsupervised
    objectives = model.posterior_losses(theta, *data)
    assert objectives.min() > 0 and objectives.min() < 1e-12  # -log(1 - tiny) computed as tiny, not as 0


@pytest.mark.parametrize("training, l2", [("unsupervised", 0.0), ("matched", 0.3)])
def test_gradients_and_hessians_against_finite_differences(data, em, training, l2):
    x, y = data
    model = model_on(data, training, l2)
    theta = model.pack(em.means_, em.precisions_cholesky_, em.weights_) + 0.05
    weights = np.ones(len(y))
    weights[[3, 20]] = [0.0, 0.4]  # a point left out and one down-weighted
    objective = mixture.WeightedObjective(model, x, y, weights)
    _, gradient = objective(theta)
    value_differences = central_differences(lambda t: objective(t)[0], theta, step=1e-4)  # J is ~70: wider steps
    np.testing.assert_allclose(gradient, value_differences, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        objective.hessian(theta), central_differences(lambda t: objective(t)[1], theta), rtol=1e-5, atol=1e-8
    )
    np.testing.assert_allclose(  # the interface's Hessian of the training objective (derivatives.hessian)
        hs.hessian(model, theta, x, y),
        central_differences(lambda t: model.loss_gradient(t, x, y, 1) + model.regularizer_gradient(t), theta),
        rtol=1e-5,
        atol=1e-8,
    )
    for losses, jacobian in (
        (model.losses, model.per_example_gradients(theta, x, y, 1)),
        (model.posterior_losses, model.posterior_gradients(theta, x, y)),
    ):
        np.testing.assert_allclose(
            jacobian, central_differences(lambda t, f=losses: f(t, x, y), theta), rtol=1e-5, atol=3e-8
        )


def test_the_dense_hessian_operator_and_its_lissa_recursion(data, unsupervised):
    model, theta, _ = unsupervised
    x, y = data
    operator = hs.hessian_operator(model, theta, x, y, damping=0.1)
    h = hs.hessian(model, theta, x, y) + 0.1 * np.eye(model.n_params)
    v = np.linspace(-1, 1, model.n_params)
    np.testing.assert_allclose(operator(v), h @ v, rtol=1e-12)
    scale = 1.1 * np.linalg.eigvalsh(h).max()
    everyone = np.tile(np.arange(len(y)), (3000, 1))  # full batches: the recursion is Richardson iteration on H
    np.testing.assert_allclose(operator.recursion(v, everyone, scale), np.linalg.solve(h, v), rtol=1e-6)


def test_the_unsupervised_fit_is_an_exact_optimum_with_components_in_class_order(data, unsupervised):
    x, y = data
    model, theta, record = unsupervised
    _, gradient = mixture.WeightedObjective(model, x, y)(theta)
    assert np.abs(gradient).max() <= 1e-10 and record["gradient_max_abs"] <= 1e-10
    means, _, _ = model.unpack(theta)
    for c in range(3):
        assert np.linalg.norm(means[c] - x[y == c].mean(0)) < 0.5  # component c is cluster c
    assert np.linalg.eigvalsh(hs.hessian(model, theta, x, y))[0] > 0


def test_influence_is_the_derivative_of_the_test_objectives_under_upweighting(data, unsupervised):
    """Down-weighting point z by eps and refitting changes f_t by eps * predicted[t, z] to first order."""
    x, y = data
    model, theta, _ = unsupervised
    # the fit's own 1e-10 would show in a difference quotient
    theta, _ = mixture.minimise(mixture.WeightedObjective(model, x, y), theta, gtol=1e-14)
    predicted, eigenvalues = mixture.influence(model, theta, x, y)
    assert predicted.shape == (len(y), len(y)) and eigenvalues[0] > 0
    before = model.posterior_losses(theta, x, y)
    eps = 1e-4
    for z in (0, 17, 40):
        weights = np.ones(len(y))
        weights[z] = 1 - eps
        refit, _ = mixture.minimise(mixture.WeightedObjective(model, x, y, weights), theta, gtol=1e-14)
        after = model.posterior_losses(refit, x, y)
        scale = np.abs(predicted[:, z]).max()
        np.testing.assert_allclose((after - before) / eps, predicted[:, z], rtol=1e-3, atol=1e-3 * scale)


@pytest.fixture(scope="module")
def demonstration():
    """The cross-loss authors' data (50 points per cluster) and its unsupervised fit."""
    data = mixture_data.gaussian_blobs(MEANS, 1.25, 50, seed=0)
    model = model_on(data, "unsupervised", 0.0)
    return model, data, mixture.fit(model, *data, seed=0, n_init=1, gtol=1e-10)[0]


def test_influence_predicts_leave_one_out(demonstration):
    model, (x, y), theta = demonstration
    predicted, _ = mixture.influence(model, theta, x, y)
    actual, refits, steps = mixture.leave_one_out(model, theta, x, y, gtol=1e-10)
    assert refits.shape == (len(y), model.n_params) and steps.max() <= 15
    for z in (0, 129):  # each refit is an optimum of the objective without z
        weights = np.ones(len(y))
        weights[z] = 0.0
        assert np.abs(mixture.WeightedObjective(model, x, y, weights)(refits[z])[1]).max() <= 1e-10
    before = model.posterior_losses(theta, x, y)
    np.testing.assert_allclose(actual[:, 129], model.posterior_losses(refits[129], x, y) - before)
    agreement = evaluation.mixture_agreement(predicted, actual, y)
    assert agreement["pearson"].median() > 0.9 and agreement["spearman"].median() > 0.98
    assert np.corrcoef(predicted.ravel(), actual.ravel())[0, 1] > 0.95


def test_shifted_influence_is_the_objective_at_the_predicted_parameters(data, unsupervised):
    """theta + (1/n) H^-1 grad r_z from the mixture's Hessian and gradients, solved here."""
    x, y = data
    model, theta, _ = unsupervised
    shifted = mixture.shifted_influence(model, theta, x, y)
    hessian = hs.hessian(model, theta, x, y)
    gradients = model.per_example_gradients(theta, x, y, len(y))
    before = model.posterior_losses(theta, x, y)
    for z in (3, 25):
        moved = theta + np.linalg.solve(hessian, gradients[z]) / len(y)
        np.testing.assert_allclose(shifted[:, z], model.posterior_losses(moved, x, y) - before, rtol=1e-8, atol=1e-14)


def test_the_matched_fit_is_a_strict_minimum_with_l2(data):
    x, y = data
    model = model_on(data, "matched", 0.1)
    theta, record = mixture.fit(model, x, y, seed=0, n_init=1, gtol=1e-10)
    assert record["gradient_max_abs"] <= 1e-10 and np.linalg.eigvalsh(hs.hessian(model, theta, x, y))[0] > 0
    objectives = model.posterior_losses(theta, x, y)
    assert objectives.mean() < 0.5 * np.log(3)  # far better than chance, though l2 keeps it from certainty


def test_bad_inputs_are_named():
    x, y = mixture_data.gaussian_blobs(MEANS, 1.0, 5, seed=0)
    with pytest.raises(InputError, match="mixture model: 'supervised' is not one of unsupervised, matched"):
        GaussianMixture.for_data(x, y, 3, "supervised", 0.0)
    with pytest.raises(InputError, match=r"mixture data: x has shape \(15, 2\) and y \(14,\)"):
        GaussianMixture.for_data(x, y[:-1], 3, "unsupervised", 0.0)
    with pytest.raises(InputError, match=r"mixture matched: l2 is 0.0; the conditional likelihood needs l2 > 0"):
        GaussianMixture.for_data(x, y, 3, "matched", 0.0)
    objective = mixture.WeightedObjective(GaussianMixture.for_data(x, y, 3, "unsupervised", 0.0), x, y)
    with pytest.raises(InputError, match="mixture unsupervised: the fit did not reach gradient 1e-10 in 1 Newton"):
        mixture.minimise(objective, np.zeros(17), max_iter=1)


def test_the_mixtures_jobs_never_load_tensorflow():
    """Its fits and refits are numpy; TensorFlow's start-up would be most of their jobs' time."""
    probe = f"""
import sys
sys.path.insert(0, {str(REPO / "src")!r})
from influential.mixture import data, fit
x, y = data.gaussian_blobs([[0.0, 0.0], [4.0, 4.0]], 1.0, 10, seed=0)
model = fit.GaussianMixture.for_data(x, y, 2, "unsupervised", 0.0)
theta, _ = fit.fit(model, x, y, seed=0, n_init=1, gtol=1e-8)
fit.influence(model, theta, x, y)
fit.leave_one_out(model, theta, x, y, gtol=1e-8)
print("tensorflow" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False"]


def test_agreement_and_its_summary_on_a_hand_computed_case():
    predicted = np.array([[1.0, 1.0], [2.0, -1.0], [3.0, 0.5]]).T  # test x train
    actual = np.array([[2.0, -3.0], [4.0, 1.0], [6.5, 2.0]]).T
    table = evaluation.mixture_agreement(predicted, actual, np.array([0, 1]))
    assert table["pearson"].iloc[0] == pytest.approx(np.corrcoef([1, 2, 3], [2, 4, 6.5])[0, 1])
    assert table["pearson"].iloc[1] == pytest.approx(np.corrcoef([1, -1, 0.5], [-3, 1, 2])[0, 1])
    assert table["spearman"].tolist() == pytest.approx([1.0, -0.5])
    assert table["sign_agreement"].tolist() == pytest.approx([1.0, 1 / 3])
    agreement = pd.DataFrame(
        {"model": "m", "evaluation": "linear", "test_position": range(4), "class": [0, 0, 1, 1]}
        | {"pearson": [0.9, 0.5, 0.7, 0.85]}
    ).assign(spearman=[0.1, 0.2, 0.3, 0.4])
    summary = evaluation.mixture_summary(agreement).set_index("class")
    assert summary.loc[0, "mean_pearson"] == pytest.approx(0.7)
    assert summary.loc[0, "share_pearson_ge_0.6"] == 0.5 and summary.loc[1, "share_pearson_ge_0.8"] == 0.5
    assert summary.loc["all", "median_pearson"] == pytest.approx(0.775)
    assert summary.loc["all", "share_pearson_ge_0.6"] == 0.75 and summary.loc["all", "test_points"] == 4
    assert summary.loc["all", "median_spearman"] == pytest.approx(0.25)
