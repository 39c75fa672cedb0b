"""The linear datamodeling score: seeded subsets independent of chunking, subset models refitted as training fits
them, and the score against a direct computation (and a behaviour check: exact influence is a good linear datamodel
of a logistic regression, a random one is not)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression

from influential.core.errors import InputError
from influential.core.names import PREDICTED
from influential.data.splits import Dataset, Split
from influential.influence import registry
from influential.lds import score, subsets, train
from influential.models.logistic import BinaryLogisticRegression
from influential.training import fit as training


def test_subsets_are_seeded_and_do_not_depend_on_the_chunks():
    whole = subsets.masks(40, 0.5, 3, range(10))
    split = np.vstack([subsets.masks(40, 0.5, 3, range(4)), subsets.masks(40, 0.5, 3, range(4, 10))])
    np.testing.assert_array_equal(whole, split)
    assert (whole.sum(axis=1) == 20).all() and len({row.tobytes() for row in whole}) == 10
    assert not np.array_equal(whole, subsets.masks(40, 0.5, 4, range(10)))  # another seed
    assert subsets.masks(40, 0.9, 3, range(10)).sum(axis=1).tolist() == [36] * 10
    with pytest.raises(InputError, match=r"lds.fraction: 0.01 of 40 training points is 0 points"):
        subsets.subset_positions(40, 0.01, 0, 0)


def test_chunks_cover_every_subset_of_every_fraction_and_are_named_after_them():
    chunks = subsets.chunks([0.5, 0.9], subsets=12, chunk_size=5, seed=2)
    assert [c.name for c in chunks] == [
        "a0.5-s2-00000-00005", "a0.5-s2-00005-00010", "a0.5-s2-00010-00012",
        "a0.9-s2-00000-00005", "a0.9-s2-00005-00010", "a0.9-s2-00010-00012",
    ]  # fmt: skip
    assert all(subsets.Chunk.parse(c.name) == c for c in chunks)
    with pytest.raises(InputError, match=r"lds chunk '00000-00005': not a chunk name"):
        subsets.Chunk.parse("00000-00005")


def test_a_chunks_logistic_models_are_the_refits_on_their_subsets(logistic_problem):
    train_split, test = logistic_problem
    model = BinaryLogisticRegression(n_features=2, C=0.5, n_train=len(train_split))
    dataset = Dataset(train_split, test, test, meta={})
    chunk = subsets.Chunk(0.5, 1, 2, 5)
    table = train.train_chunk(model, dataset, {"tol": 1e-10, "max_iter": 1000}, chunk, seeds=3)
    assert table["subset"].tolist() == [2, 3, 4] and (table["seed"] == -1).all()  # one fit per subset
    for _, row in table.iterrows():
        held = subsets.subset_positions(len(train_split), 0.5, 1, row["subset"])
        np.testing.assert_array_equal(np.flatnonzero(row["mask"]), held)
        fitted = LogisticRegression(C=0.5, tol=1e-10, max_iter=1000).fit(train_split.x[held], train_split.y[held])
        np.testing.assert_allclose(row["theta"], [*fitted.coef_.ravel(), *fitted.intercept_], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(row["test_losses"], model.losses(row["theta"], test.x, test.y), rtol=1e-12)


def test_lds_is_the_spearman_correlation_with_the_summed_effects_of_inclusion():
    rng = np.random.default_rng(0)
    masks = rng.random((30, 8)) < 0.5
    predicted, values = rng.standard_normal(8), rng.standard_normal(30)
    group = [-sum(predicted[i] for i in range(8) if masks[j, i]) for j in range(30)]
    got = score.lds(values, masks, predicted)
    assert got["spearman"] == pytest.approx(stats.spearmanr(values, group).statistic, abs=1e-12)
    assert got["pearson"] == pytest.approx(stats.pearsonr(values, group).statistic, abs=1e-12)
    with pytest.raises(InputError, match=r"lds: subsets of 8 training points, predictions for 7"):
        score.lds(values, masks, predicted[:7])


def test_exact_influence_is_a_good_linear_datamodel_of_a_logistic_regression(logistic_problem):
    """Models refitted on 40 subsets of 90% (each without 6 of 60 points): exact influence summed over the left-out
    points predicts each test point's loss on them (LDS > 0.9); a random estimator does not."""
    train_split, test = logistic_problem
    model = BinaryLogisticRegression(n_features=2, C=0.5, n_train=len(train_split))
    theta, _ = training.fit_logistic(model, train_split.x, train_split.y, tol=1e-10, max_iter=1000)
    exact = registry.build("exact", {"batch_size": 64, "damping": 0.0}, model, theta, train_split.x, train_split.y)
    change = exact.change_if_removed(test.x[:3], test.y[:3])
    tables = [
        pd.DataFrame({"estimator": name, "test": f"t{t}", "train_position": np.arange(60), PREDICTED: values[t]})
        for name, values in (("exact", change), ("random", np.random.default_rng(1).standard_normal(change.shape)))
        for t in range(3)
    ]
    dataset = Dataset(train_split, test, test, meta={})
    trained = train.train_chunk(model, dataset, {"tol": 1e-10, "max_iter": 1000}, subsets.Chunk(0.9, 0, 0, 40), 1)
    points = [{"test": f"t{t}", "test_position": t, "objective": {"kind": "cross_entropy"}} for t in range(3)]
    values = score.objective_values(trained, dataset, model, points)
    per_subset = score.subset_values(trained, values, [p["test"] for p in points])
    table = score.agreement(per_subset, pd.concat(tables, ignore_index=True))
    assert table[["estimator", "actual", "n"]].drop_duplicates().values.tolist() == [
        ["exact", "lds_0.9", 40], ["random", "lds_0.9", 40]
    ]  # fmt: skip
    lds = table.groupby("estimator")["spearman"]
    assert lds.min()["exact"] > 0.9 and lds.max()["random"] < 0.5, table


def test_the_all_cnns_subset_models_are_trained_from_scratch_as_training_trains_once_per_seed():
    from influential.models.all_cnn import AllCNN

    rng = np.random.default_rng(0)
    x, y = rng.random((30, 28, 28, 1)).astype(np.float32), rng.integers(0, 10, 30)
    train_split, test = (Split(x[s], y[s], np.arange(30)[s]) for s in (slice(0, 24), slice(24, 30)))
    dataset = Dataset(train_split, test, test, meta={"n_classes": 10})
    model = AllCNN(side=28, channels=1, n_classes=10, weight_decay=0.001)
    schedule = {"steps": 4, "batch_size": 6, "learning_rate": 1e-3, "schedule": [], "seed": 5, "log_every": 2,
                "checkpoint_every": 2}  # fmt: skip
    table = train.train_chunk(model, dataset, schedule, subsets.Chunk(0.5, 0, 1, 2), seeds=2)
    assert table["subset"].tolist() == [1, 1] and table["seed"].tolist() == [5, 6]
    held = subsets.subset_positions(24, 0.5, 0, 1)
    on_subset = Dataset(train_split.take(held), test, test, meta=dataset.meta)
    for _, row in table.iterrows():
        expected = training.train(
            {"kind": "all_cnn", "weight_decay": 0.001}, schedule | {"seed": row["seed"]}, on_subset
        )
        np.testing.assert_allclose(row["theta"], expected.theta, rtol=1e-6)
        np.testing.assert_allclose(row["test_losses"], model.losses(expected.theta, test.x, test.y), rtol=1e-5)
