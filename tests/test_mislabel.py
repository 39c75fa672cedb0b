"""Label flipping, self-influence against a closed form for logistic regression, and the ranking metrics by hand."""

import numpy as np
import pytest
from scipy.special import expit

from influential.core.errors import InputError
from influential.data import label_noise, sources
from influential.data.splits import Dataset, Split
from influential.influence import registry
from influential.mislabel import fix
from influential.mislabel import ranking as mislabel
from influential.models.logistic import BinaryLogisticRegression
from influential.training import fit as training

from .conftest import BUNDLED


def test_flipping_is_seeded_never_to_the_same_class_and_records_exactly_the_flipped():
    y = np.arange(200) % 10
    noisy, positions = label_noise.flip(y, 10, 0.1, seed=4)
    again, same_positions = label_noise.flip(y, 10, 0.1, seed=4)
    np.testing.assert_array_equal(noisy, again)
    np.testing.assert_array_equal(positions, same_positions)
    assert len(positions) == 20 and np.all(np.diff(positions) > 0)
    np.testing.assert_array_equal(np.flatnonzero(noisy != y), positions)
    assert set(noisy[positions]) - set(range(10)) == set()
    other, _ = label_noise.flip(y, 10, 0.1, seed=5)
    assert not np.array_equal(other, noisy)
    # every other class is reachable
    many, flipped = label_noise.flip(np.zeros(2000, dtype=int), 4, 0.5, seed=0)
    assert np.bincount(many[flipped], minlength=4)[0] == 0 and np.all(np.bincount(many[flipped])[1:] > 280)


def test_a_class_map_flips_only_its_classes():
    y = np.array([1, 7, 7, 1, 7, 3, 7, 7, 1, 7])
    noisy, positions = label_noise.flip(y, 10, 0.3, seed=0, class_map={7: 1})
    assert len(positions) == 3 and np.all(y[positions] == 7) and np.all(noisy[positions] == 1)
    np.testing.assert_array_equal(np.flatnonzero(noisy != y), positions)
    with pytest.raises(InputError, match=r"label_noise.fraction: 0.7 of 10 is 7 labels, but only 6 training"):
        label_noise.flip(y, 10, 0.7, seed=0, class_map={7: 1})
    with pytest.raises(InputError, match=r"label_noise.map: class 7 is mapped to itself"):
        label_noise.flip(y, 10, 0.1, seed=0, class_map={7: 7, 1: 7})


@pytest.mark.parametrize("name", ["exact", "cg"])
def test_self_influence_is_the_closed_form_for_logistic_regression(logistic_problem, name):
    """scikit-learn's objective C sum_i log loss_i + |w|^2 / 2 (intercept free): leaving z out removes C log loss_z,
    so z's own loss changes by g_z^T H^-1 (C g_z), H the Hessian of that sum (numpy, from the sigmoid)."""
    train, _ = logistic_problem
    c = 0.5
    model = BinaryLogisticRegression(n_features=2, C=c, n_train=len(train))
    theta, _ = training.fit_logistic(model, train.x, train.y, tol=1e-10, max_iter=1000)
    x = np.hstack([train.x.astype(np.float64), np.ones((len(train), 1))])
    p = expit(x @ theta)
    g = (p - train.y)[:, None] * x
    hessian = c * (x.T * (p * (1 - p))) @ x + np.diag([1.0, 1.0, 0.0])
    expected = np.array([gz @ np.linalg.solve(hessian, c * gz) for gz in g])
    settings = {"batch_size": 64, "damping": 0.0, "cg": {"tol": 1e-12, "max_iter": 100}}
    estimator = registry.build(name, settings, model, theta, train.x, train.y)
    found = estimator.self_influence()
    np.testing.assert_allclose(found, expected, rtol=1e-6)
    assert np.all(found > 0)


def test_ranking_metrics_on_a_hand_computed_ranking():
    scores = np.array([0.9, 0.1, 0.8, 0.3, 0.7, 0.2, 0.05, 0.6, 0.4, 0.0])
    flipped = np.array([0, 4, 5])
    # ranking: 0(F) 2 4(F) 7 8 3 5(F) 1 6 9; flipped above non-flipped in 7 + 6 + 3 = 16 of 3 x 7 = 21 pairs
    np.testing.assert_array_equal(mislabel.ranking(scores), [0, 2, 4, 7, 8, 3, 5, 1, 6, 9])
    summary = mislabel.ranking_summary(scores, flipped, inspect=0.3)
    assert summary == {"roc_auc": pytest.approx(16 / 21), "found_at_0.3": pytest.approx(2 / 3)}
    curve = mislabel.found_curve(scores, flipped)
    assert curve["inspected"].tolist() == pytest.approx(np.arange(11) / 10)
    assert curve["found"].tolist() == pytest.approx(np.array([0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]) / 3)


def test_a_dataset_with_label_noise_records_what_it_flipped():
    settings = {
        "source": "mnist_bundled",
        "classes": [1, 7],
        "split": {"method": "random", "n_train": 200, "n_validation": 20, "n_test": 50, "seed": 0},
    }
    clean = sources.build(settings, BUNDLED)
    noisy = sources.build(settings | {"label_noise": {"fraction": 0.1, "seed": 0, "map": [[7, 1]]}}, BUNDLED)
    record = noisy.meta["label_noise"]
    positions = np.array(record["positions"])
    assert len(positions) == 20 and record["map"] == [[7, 1]]
    np.testing.assert_array_equal(np.flatnonzero(noisy.train.y != clean.train.y), positions)
    np.testing.assert_array_equal(clean.train.y[positions], record["true_labels"])
    assert np.all(clean.train.y[positions] == 1) and np.all(noisy.train.y[positions] == 0)  # 7 -> 1, renumbered
    np.testing.assert_array_equal(noisy.test.y, clean.test.y)
    np.testing.assert_array_equal(noisy.train.x, clean.train.x)
    with pytest.raises(InputError, match=r"label_noise.map: class 3 is not among dataset.classes \[1, 7\]"):
        sources.build(settings | {"label_noise": {"fraction": 0.1, "seed": 0, "map": [[3, 1]]}}, BUNDLED)


def test_fixing_retrains_the_all_cnn_from_the_same_start_and_minibatches():
    """`none` restores nothing, so its retraining is the trained model itself: the same initialisation and
    minibatches give exactly its test accuracy and loss; `all` restores every flipped label."""
    rng = np.random.default_rng(0)
    x, y = rng.random((42, 28, 28, 1)).astype(np.float32), np.arange(42) % 3
    split = lambda a, b: Split(x[a:b], y[a:b], np.arange(a, b))  # noqa: E731
    clean = Dataset(split(0, 30), split(30, 30), split(30, 42), meta={"n_classes": 3, "classes": None, "marked": {}})
    noisy = label_noise.with_label_noise(clean, {"fraction": 0.2, "seed": 0})
    model_config = {"kind": "all_cnn", "weight_decay": 0.01}
    training_config = {"steps": 12, "batch_size": 10, "learning_rate": 0.01, "schedule": [], "seed": 3,
                       "log_every": 12, "checkpoint_every": 12}  # fmt: skip
    trained = training.train(model_config, training_config, noisy)
    scores = {"oracle": np.isin(np.arange(30), noisy.meta["label_noise"]["positions"]).astype(float)}
    table = fix.fix_and_retrain(noisy, scores, 0.2, ["restore", "drop"], model_config, training_config)
    table = table.set_index(["protocol", "fixed_by"])
    assert table.loc[("none", "none"), "test_accuracy"] == trained.summary["test_accuracy"]
    assert table.loc[("none", "none"), "test_loss"] == float(trained.test_predictions["loss"].mean())
    assert table["found"].to_dict() == {
        ("none", "none"): 0,
        ("restore", "all"): 6,
        ("restore", "oracle"): 6,
        ("drop", "all"): 6,
        ("drop", "oracle"): 6,
    }
    assert table["n_train"].tolist() == [30, 30, 30, 24, 24]
    for protocol in ("restore", "drop"):  # the same training set, the same model
        assert table.loc[(protocol, "oracle"), "test_loss"] == table.loc[(protocol, "all"), "test_loss"]


def test_a_validation_ranking_is_minus_the_summed_change_of_the_clean_points_losses(logistic_problem):
    """One solve with the summed validation gradient equals the sum of the per-point predictions made one at a time
    (the estimate is linear in the test gradient), for each influence function; the ranker scores minus it."""
    from influential.mislabel import scores

    train, clean = logistic_problem
    model = BinaryLogisticRegression(n_features=2, C=0.5, n_train=len(train))
    theta, _ = training.fit_logistic(model, train.x, train.y, tol=1e-10, max_iter=1000)
    settings = {"batch_size": 16, "damping": 0.1, "cg": {"tol": 1e-12, "max_iter": 50},
                "lissa": {"scale": 40.0, "depth": 50, "repeats": 1, "batch_size": 60, "seed": 0}}  # fmt: skip
    for name in ("exact", "cg", "lissa"):
        estimator = registry.build(name, settings, model, theta, train.x, train.y)
        one_at_a_time = estimator.change_if_removed(clean.x, clean.y).sum(axis=0)
        np.testing.assert_allclose(estimator.change_of_summed_loss(clean.x, clean.y), one_at_a_time, rtol=1e-8)
        ranked = scores.scores(f"{name}_validation", settings, model, theta, train, {}, clean)
        np.testing.assert_allclose(ranked, -one_at_a_time, rtol=1e-8)
    with pytest.raises(InputError, match=r"^mislabel.clean: cg_validation ranks by a clean split's loss, and the"):
        scores.scores("cg_validation", settings, model, theta, train, {}, clean.take(np.arange(0)))


def test_dropping_removes_each_rankings_top_share_and_counts_the_flipped_among_it():
    x, y = np.arange(10.0)[:, None], np.arange(10) % 2
    train = Split(x, y, np.arange(100, 110))
    noise = {"positions": [1, 4, 8], "true_labels": [0, 1, 1]}
    ranked = {"top_first": -np.arange(10.0)}  # ranks 0, 1, 2, ...
    dropped = fix.fixed_splits(train, ranked, 0.3, "drop", noise)
    split, found = dropped["top_first"]
    np.testing.assert_array_equal(split.index, np.arange(103, 110))
    assert found == 1 and dropped["all"][1] == 3
    np.testing.assert_array_equal(dropped["all"][0].index, [100, 102, 103, 105, 106, 107, 109])
    restored = fix.fixed_splits(train, ranked, 0.3, "restore", noise)
    assert restored["top_first"][1] == 1 and restored["top_first"][0].y.tolist() == [0, 0, 0, 1, 0, 1, 0, 1, 0, 1]
