import numpy as np
from scipy import stats
from scipy.special import expit

from influential import estimators, loo, models, training


def fit(train, C=0.7):
    model = models.for_dataset({"kind": "logistic_regression", "C": C}, train.x)
    theta, _ = training.fit_logistic(model, train.x, train.y, tol=1e-10, max_iter=1000)
    return model, theta


def test_exact_influence_matches_an_independent_numpy_computation(logistic_problem):
    train, test = logistic_problem
    model, theta = fit(train)
    got = estimators.ExactInfluence(model, theta, train.x, train.y).loss_change_if_removed(test.x, test.y)

    a = np.hstack([train.x, np.ones((len(train), 1))]).astype(np.float64)
    b = np.hstack([test.x, np.ones((len(test), 1))]).astype(np.float64)
    p = expit(a @ theta)
    n = len(train)
    h = a.T @ (a * (p * (1 - p))[:, None]) / n + np.diag([1, 1, 0]) / (model.C * n)
    train_grads = (p - train.y)[:, None] * a
    test_grads = (expit(b @ theta) - test.y)[:, None] * b
    expected = test_grads @ np.linalg.solve(h, train_grads.T) / n
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-12)


def test_exact_influence_predicts_leave_one_out_refits(logistic_problem):
    train, test = logistic_problem
    model, theta = fit(train)
    predicted = estimators.ExactInfluence(model, theta, train.x, train.y).loss_change_if_removed(test.x, test.y)
    actual = loo.refit_logistic(model, theta, train, test, [f"t{i}" for i in range(len(test))], 1e-10, 1000)
    actual = actual.pivot(index="test", columns="train_position", values=loo.ACTUAL)
    for i in range(len(test)):
        row = actual.loc[f"t{i}"].to_numpy()
        assert stats.pearsonr(predicted[i], row).statistic > 0.99
        big = np.abs(row) > 0.2 * np.abs(row).max()
        assert np.all(np.sign(predicted[i][big]) == np.sign(row[big]))


def test_leave_one_out_table_records_each_refit(logistic_problem):
    train, test = logistic_problem
    model, theta = fit(train)
    table = loo.refit_logistic(
        model, theta, train, test.take(np.array([0, 1])), ["a", "b"], 1e-10, 1000, positions=np.array([5])
    )
    assert table["test"].tolist() == ["a", "b"] and set(table["train_position"]) == {5}
    keep = np.arange(len(train)) != 5
    theta_without, _ = training.fit_logistic(model, train.x[keep], train.y[keep], 1e-10, 1000)
    expected = model.losses(theta_without, test.x[:2], test.y[:2]) - model.losses(theta, test.x[:2], test.y[:2])
    np.testing.assert_allclose(table[loo.ACTUAL], expected, rtol=1e-9)
    assert table["param_distance"].iloc[0] == np.linalg.norm(theta_without - theta)
