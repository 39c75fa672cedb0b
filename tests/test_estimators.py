import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

from influential.core.errors import InputError
from influential.core.names import ACTUAL
from influential.data.splits import Dataset
from influential.derivatives import hessian
from influential.influence import functions, registry
from influential.loo import gather, refit
from influential.models.logistic import BinaryLogisticRegression
from influential.testpoints import cross_loss
from influential.testpoints.objectives import Objective
from influential.training import fit as training


def fit(train, C=0.7):
    model = BinaryLogisticRegression(n_features=2, C=C, n_train=len(train))
    theta, _ = training.fit_logistic(model, train.x, train.y, tol=1e-10, max_iter=1000)
    return model, theta


def test_exact_influence_matches_an_independent_numpy_computation(logistic_problem):
    train, test = logistic_problem
    model, theta = fit(train)
    got = functions.ExactInfluence(model, theta, train.x, train.y).change_if_removed(test.x, test.y)

    a = np.hstack([train.x, np.ones((len(train), 1))]).astype(np.float64)
    b = np.hstack([test.x, np.ones((len(test), 1))]).astype(np.float64)
    p = expit(a @ theta)
    n = len(train)
    h = a.T @ (a * (p * (1 - p))[:, None]) / n + np.diag([1, 1, 0]) / (model.C * n)
    train_grads = (p - train.y)[:, None] * a
    test_grads = (expit(b @ theta) - test.y)[:, None] * b
    expected = test_grads @ np.linalg.solve(h, train_grads.T) / n
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-12)


SETTINGS = {
    "damping": 0.1,
    "batch_size": 16,
    "cg": {"tol": 1e-10, "max_iter": 50},
    "lissa": {"scale": 2.0, "depth": 400, "repeats": 2, "batch_size": 60, "seed": 0},
}


def test_cg_and_lissa_solve_the_same_damped_system_as_exact(logistic_problem):
    train, _ = logistic_problem
    model, theta = fit(train)
    built = {name: registry.build(name, SETTINGS, model, theta, train.x, train.y) for name in ("exact", "cg", "lissa")}
    g = np.random.default_rng(0).standard_normal((2, 3))
    h = hessian.hessian(model, theta, train.x, train.y) + 0.1 * np.eye(3)
    expected = np.linalg.solve(h, g.T)
    np.testing.assert_allclose(built["exact"].inverse_hvps(g), expected, rtol=1e-10)
    np.testing.assert_allclose(built["cg"].inverse_hvps(g), expected, rtol=1e-8)
    assert all(d["converged"] and d["iterations"] <= 3 for d in built["cg"].diagnostics)  # n = 3 parameters
    # LiSSA here samples the whole training set each step, so it is the deterministic recursion: it contracts.
    np.testing.assert_allclose(built["lissa"].inverse_hvps(g), expected, rtol=1e-6)
    stochastic = registry.build(
        "lissa", {**SETTINGS, "lissa": {**SETTINGS["lissa"], "batch_size": 20}}, model, theta, train.x, train.y
    )
    assert np.linalg.norm(stochastic.inverse_hvps(g) - expected) < 0.1 * np.linalg.norm(expected)
    assert all(d["relative_residual"] < 0.1 for d in stochastic.diagnostics)


def test_lissa_with_too_small_a_scale_diverges_with_a_clear_error(logistic_problem):
    train, _ = logistic_problem
    model, theta = fit(train, C=100.0)
    settings = {**SETTINGS, "damping": 0.0, "lissa": {**SETTINGS["lissa"], "scale": 0.01, "depth": 3000}}
    lissa = registry.build("lissa", settings, model, theta, train.x, train.y)
    with np.errstate(all="ignore"), pytest.raises(InputError, match="must exceed the largest eigenvalue"):
        lissa.inverse_hvps(np.ones((1, 3)))


@pytest.mark.parametrize("name", ["exact", "cg", "lissa"])
def test_every_estimator_predicts_leave_one_out_refits(logistic_problem, name):
    train, test = logistic_problem
    model, theta = fit(train)
    settings = {**SETTINGS, "damping": 0.0, "lissa": {**SETTINGS["lissa"], "depth": 2000, "batch_size": 20}}
    estimator = registry.build(name, settings, model, theta, train.x, train.y)
    predicted = estimator.change_if_removed(test.x, test.y)
    points = pd.DataFrame({"test": [f"t{i}" for i in range(len(test))], "test_position": range(len(test))})
    refits = refit.refit_logistic(model, theta, train, test, 1e-10, 1000)
    actual = gather.gather({"refits": refits}, points, None)
    actual = actual.pivot(index="test", columns="train_position", values=ACTUAL)
    for i in range(len(test)):
        assert stats.pearsonr(predicted[i], actual.loc[f"t{i}"].to_numpy()).statistic > 0.99


@pytest.mark.parametrize(
    "spec",
    [{"kind": "margin"}, {"kind": "probability", "class": 1}, {"kind": "centroid_distance", "class": 0}],
    ids=lambda s: s["kind"],
)
def test_cross_loss_influence_predicts_each_objective_on_the_stored_refits(logistic_problem, spec):
    """Another test objective than the loss: the estimators take its gradient, the refits' stored parameters give
    its actual change (as loo_objective and loo_gather do), and the two agree on every test point."""
    train, test = logistic_problem
    model, theta = fit(train)
    refits = refit.refit_logistic(model, theta, train, test, 1e-10, 1000)
    for row in refits.itertuples():  # the stored parameters are the ones the recorded losses come from
        np.testing.assert_array_equal(model.losses(row.theta, test.x, test.y), row.test_losses)
    dataset = Dataset(train, test, test, meta={"n_classes": 2, "marked": {}})
    objective = cross_loss.bind(Objective.from_config(spec), model, dataset)
    names = [f"t{i}" for i in range(len(test))]
    points = pd.DataFrame({"test": names, "test_position": range(len(test))})
    thetas = np.stack(refits["theta"].to_numpy())
    values = {
        name: refits[["model", "train_position"]].assign(
            table="refits", value=objective.evaluate(thetas, test.x[[i]], test.y[[i]])[:, 0]
        )
        for i, name in enumerate(names)
    }
    actual = gather.gather({"refits": refits}, points, None, values).pivot(
        index="test", columns="train_position", values=ACTUAL
    )
    undamped = {**SETTINGS, "damping": 0.0}
    for name in ("exact", "cg"):
        estimator = registry.build(name, undamped, model, theta, train.x, train.y)
        predicted, loss = (
            estimator.change_if_removed(test.x, test.y, objective),
            estimator.change_if_removed(test.x, test.y),
        )
        for i in range(len(test)):
            measured = actual.loc[f"t{i}"].to_numpy()
            assert stats.pearsonr(predicted[i], measured).statistic > 0.99
            # first order in 1/n on 60 points: within 20% as a whole
            assert np.linalg.norm(predicted[i] - measured) < 0.2 * np.linalg.norm(measured)
        assert not np.allclose(predicted, loss)  # a different question gets a different answer


def test_an_unknown_estimator_is_refused_by_name(logistic_problem):
    train, _ = logistic_problem
    model, theta = fit(train)
    with pytest.raises(
        InputError,
        match=r"influence\.estimators: unknown estimator 'lisa' \(known: exact, cg, lissa, arnoldi, tracin, hydra, "
        r"hydra_free, trak\)",
    ):
        registry.build("lisa", SETTINGS, model, theta, train.x, train.y)
