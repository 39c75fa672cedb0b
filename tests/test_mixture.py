"""The Gaussian mixture of the cross-loss experiment: its likelihood against scikit-learn's, its derivatives against
finite differences, its fits, and influence against up-weighting and leave-one-out refits."""

import numpy as np
import pandas as pd
import pytest
from sklearn.mixture import GaussianMixture

from influential.core.errors import InputError
from influential.evaluation import agreement as evaluation
from influential.mixture import data as mixture_data
from influential.mixture import model as mixture

MEANS = [[0.0, 0.0], [5.0, 5.0], [5.0, -5.0]]


@pytest.fixture(scope="module")
def data():
    return mixture_data.gaussian_blobs(MEANS, 1.25, 15, seed=1)


@pytest.fixture(scope="module")
def em(data):
    return GaussianMixture(3, covariance_type="full", random_state=0).fit(data[0])


@pytest.fixture(scope="module")
def unsupervised(data):
    model = mixture.Mixture(*data, 3, "unsupervised", l2=0.0)
    theta, record = mixture.fit(model, seed=0, n_init=1, gtol=1e-10)
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
    layout = mixture.Layout(3, 2)
    theta = layout.pack(em.means_, em.precisions_cholesky_, em.weights_)
    assert theta.shape == (layout.size,) == (17,)
    means, covariances, weights = layout.unpack(theta)
    np.testing.assert_allclose(means, em.means_, rtol=1e-12)
    np.testing.assert_allclose(covariances, em.covariances_, rtol=1e-10)
    np.testing.assert_allclose(weights, em.weights_, rtol=1e-12)


def test_losses_are_scikit_learns_likelihood_and_posterior(data, em):
    x, y = data
    theta = mixture.Layout(3, 2).pack(em.means_, em.precisions_cholesky_, em.weights_)
    unsupervised = mixture.Mixture(x, y, 3, "unsupervised", l2=0.0)
    losses, _ = unsupervised.training_losses(theta)
    np.testing.assert_allclose(losses, -em.score_samples(x), rtol=1e-12)
    posterior = em.predict_proba(x)[np.arange(len(y)), y]
    objectives, _ = unsupervised.test_objectives(theta)
    np.testing.assert_allclose(objectives, -np.log(posterior), rtol=1e-9, atol=1e-300)
    matched, _ = mixture.Mixture(x, y, 3, "matched", l2=0.1).training_losses(theta)
    np.testing.assert_allclose(matched, objectives, rtol=1e-15)
    value, _ = unsupervised.objective(theta)
    np.testing.assert_allclose(value, -em.score(x), rtol=1e-12)


def test_a_confident_points_objective_does_not_round_to_zero(data, unsupervised):
    model, theta, _ = unsupervised
    objectives, _ = model.test_objectives(theta)
    assert objectives.min() > 0 and objectives.min() < 1e-12  # -log(1 - tiny) computed as tiny, not as 0


@pytest.mark.parametrize("model, l2", [("unsupervised", 0.0), ("matched", 0.3)])
def test_gradients_and_hessian_against_finite_differences(data, em, model, l2):
    mix = mixture.Mixture(*data, 3, model, l2)
    theta = mixture.Layout(3, 2).pack(em.means_, em.precisions_cholesky_, em.weights_) + 0.05
    weights = np.linspace(0.5, 1.5, len(data[1]))
    _, gradient = mix.objective(theta, weights)
    np.testing.assert_allclose(
        gradient, central_differences(lambda t: mix.objective(t, weights)[0], theta), rtol=1e-6, atol=1e-9
    )
    np.testing.assert_allclose(
        mix.hessian(theta, weights),
        central_differences(lambda t: mix.objective(t, weights)[1], theta),
        rtol=1e-5,
        atol=1e-8,
    )
    for per_example in (mix.training_losses, mix.test_objectives):
        _, jacobian = per_example(theta)
        np.testing.assert_allclose(
            jacobian, central_differences(lambda t, f=per_example: f(t)[0], theta), rtol=1e-5, atol=3e-8
        )


def test_the_unsupervised_fit_is_an_exact_optimum_with_components_in_class_order(data, unsupervised):
    x, y = data
    model, theta, record = unsupervised
    _, gradient = model.objective(theta)
    assert np.abs(gradient).max() <= 1e-10 and record["gradient_max_abs"] <= 1e-10
    means, _, _ = model.layout.unpack(theta)
    for c in range(3):
        assert np.linalg.norm(means[c] - x[y == c].mean(0)) < 0.5  # component c is cluster c
    assert np.linalg.eigvalsh(model.hessian(theta))[0] > 0


def test_influence_is_the_derivative_of_the_test_objectives_under_upweighting(unsupervised):
    """Down-weighting point z by eps and refitting changes f_t by eps * predicted[t, z] to first order."""
    model, theta, _ = unsupervised
    theta, _ = model.minimise(theta, gtol=1e-14)  # the fit's own 1e-10 would show in a difference quotient
    predicted, eigenvalues = mixture.influence(model, theta)
    assert predicted.shape == (model.n, model.n) and eigenvalues[0] > 0
    before, _ = model.test_objectives(theta)
    eps = 1e-4
    for z in (0, 17, 40):
        weights = np.ones(model.n)
        weights[z] = 1 - eps
        refit, _ = model.minimise(theta, weights, gtol=1e-14)
        after, _ = model.test_objectives(refit)
        scale = np.abs(predicted[:, z]).max()
        np.testing.assert_allclose((after - before) / eps, predicted[:, z], rtol=1e-3, atol=1e-3 * scale)


@pytest.fixture(scope="module")
def demonstration():
    """The cross-loss authors' data (50 points per cluster) and its unsupervised fit."""
    model = mixture.Mixture(*mixture_data.gaussian_blobs(MEANS, 1.25, 50, seed=0), 3, "unsupervised", l2=0.0)
    return model, mixture.fit(model, seed=0, n_init=1, gtol=1e-10)[0]


def test_influence_predicts_leave_one_out(demonstration):
    model, theta = demonstration
    predicted, _ = mixture.influence(model, theta)
    actual, refits, steps = mixture.leave_one_out(model, theta, gtol=1e-10)
    assert refits.shape == (model.n, model.layout.size) and steps.max() <= 15
    for z in (0, 129):  # each refit is an optimum of the objective without z
        weights = np.ones(model.n)
        weights[z] = 0.0
        assert np.abs(model.objective(refits[z], weights)[1]).max() <= 1e-10
    before, _ = model.test_objectives(theta)
    after, _ = model.test_objectives(refits[129])
    np.testing.assert_allclose(actual[:, 129], after - before)
    agreement = evaluation.mixture_agreement(predicted, actual, model.y)
    assert agreement["pearson"].median() > 0.9 and agreement["spearman"].median() > 0.98
    assert np.corrcoef(predicted.ravel(), actual.ravel())[0, 1] > 0.95


def test_the_matched_fit_is_a_strict_minimum_with_l2(data):
    model = mixture.Mixture(*data, 3, "matched", l2=0.1)
    theta, record = mixture.fit(model, seed=0, n_init=1, gtol=1e-10)
    assert record["gradient_max_abs"] <= 1e-10 and np.linalg.eigvalsh(model.hessian(theta))[0] > 0
    objectives, _ = model.test_objectives(theta)
    assert objectives.mean() < 0.5 * np.log(3)  # far better than chance, though l2 keeps it from certainty


def test_bad_inputs_are_named():
    x, y = mixture_data.gaussian_blobs(MEANS, 1.0, 5, seed=0)
    with pytest.raises(InputError, match="mixture model: 'supervised' is not one of unsupervised, matched"):
        mixture.Mixture(x, y, 3, "supervised", 0.0)
    with pytest.raises(InputError, match=r"mixture data: x has shape \(15, 2\) and y \(14,\)"):
        mixture.Mixture(x, y[:-1], 3, "unsupervised", 0.0)
    with pytest.raises(InputError, match=r"mixture matched: l2 is 0.0; the conditional likelihood needs l2 > 0"):
        mixture.Mixture(x, y, 3, "matched", 0.0)
    with pytest.raises(InputError, match="mixture unsupervised: the fit did not reach gradient 1e-10 in 1 Newton"):
        mixture.Mixture(x, y, 3, "unsupervised", 0.0).minimise(np.zeros(17), max_iter=1)


def test_agreement_and_its_summary_on_a_hand_computed_case():
    predicted = np.array([[1.0, 1.0], [2.0, -1.0], [3.0, 0.5]]).T  # test x train
    actual = np.array([[2.0, -3.0], [4.0, 1.0], [6.5, 2.0]]).T
    table = evaluation.mixture_agreement(predicted, actual, np.array([0, 1]))
    assert table["pearson"].iloc[0] == pytest.approx(np.corrcoef([1, 2, 3], [2, 4, 6.5])[0, 1])
    assert table["pearson"].iloc[1] == pytest.approx(np.corrcoef([1, -1, 0.5], [-3, 1, 2])[0, 1])
    assert table["spearman"].tolist() == pytest.approx([1.0, -0.5])
    assert table["sign_agreement"].tolist() == pytest.approx([1.0, 1 / 3])
    agreement = pd.DataFrame(
        {"model": "m", "test_position": range(4), "class": [0, 0, 1, 1], "pearson": [0.9, 0.5, 0.7, 0.85]}
    ).assign(spearman=[0.1, 0.2, 0.3, 0.4])
    summary = evaluation.mixture_summary(agreement).set_index("class")
    assert summary.loc[0, "mean_pearson"] == pytest.approx(0.7)
    assert summary.loc[0, "share_pearson_ge_0.6"] == 0.5 and summary.loc[1, "share_pearson_ge_0.8"] == 0.5
    assert summary.loc["all", "median_pearson"] == pytest.approx(0.775)
    assert summary.loc["all", "share_pearson_ge_0.6"] == 0.75 and summary.loc["all", "test_points"] == 4
    assert summary.loc["all", "median_spearman"] == pytest.approx(0.25)
