"""Embedding metrics against independent numpy / scipy / scikit-learn computations on small arrays."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial import distance
from sklearn.covariance import LedoitWolf

from influential.core.names import ACTUAL, PREDICTED
from influential.embeddings import metrics as embeddings
from influential.models.all_cnn import AllCNN


def test_representations_give_every_layer_of_table_4_1():
    model = AllCNN(side=28, channels=1, n_classes=10, weight_decay=0.001)
    theta = model.initial_params(0)
    x = np.random.default_rng(0).random((7, 28, 28, 1)).astype(np.float32)
    layers = model.representations(theta, x, batch_size=3)
    assert list(layers) == ["h1_a", "h1_c", "h2_a", "h2_c", "h3_a", "h3_c", "h3_d", "logits"]
    dims = [26 * 26 * 8, 12 * 12 * 8, 10 * 10 * 8, 4 * 4 * 8, 2 * 2 * 8, 2 * 2 * 10, 10, 10]
    assert [z.shape for z in layers.values()] == [(7, d) for d in dims]
    np.testing.assert_allclose(layers["logits"], model.logits(theta, x).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layers["h3_d"], layers["h3_c"].reshape(7, 4, 10).mean(axis=1), rtol=1e-5, atol=1e-6)


def test_cosine_matches_scipy():
    rng = np.random.default_rng(1)
    rows, vector = rng.normal(size=(5, 6)), rng.normal(size=6)
    expected = [1 - distance.cosine(r, vector) for r in rows]
    np.testing.assert_allclose(embeddings.cosine(rows, vector), expected, rtol=1e-12)
    assert embeddings.cosine(np.zeros((1, 6)), vector)[0] == 0


def clusters(n_per_class, dim, seed=0):
    rng = np.random.default_rng(seed)
    z = np.vstack([rng.normal(c, 1 + c, size=(n_per_class, dim)) for c in range(3)])
    return z, np.repeat(np.arange(3), n_per_class)


@pytest.mark.parametrize("n_per_class, dim", [(40, 5), (6, 15)], ids=["full_rank", "singular"])
def test_mahalanobis_with_ledoit_wolf_shrinkage(n_per_class, dim):
    z, y = clusters(n_per_class, dim)
    got = embeddings.mahalanobis_to_centroid(z, y, "ledoit_wolf")
    for c in range(3):
        x = z[y == c]
        precision = np.linalg.inv(LedoitWolf().fit(x).covariance_)
        expected = [distance.mahalanobis(row, x.mean(axis=0), precision) for row in x]
        np.testing.assert_allclose(got[y == c], expected, rtol=1e-8)
    assert np.all(np.isfinite(got)) and np.all(got > 0)


def test_mahalanobis_on_a_singular_covariance_with_the_pseudo_inverse():
    z, y = clusters(4, 10)  # 4 points in 10 dimensions: rank 3
    assert np.linalg.matrix_rank(np.cov(z[y == 0].T)) == 3
    got = embeddings.mahalanobis_to_centroid(z, y, "pinv")
    for c in range(3):
        x = z[y == c]
        pinv = np.linalg.pinv(np.cov(x.T, bias=True))
        delta = x - x.mean(axis=0)
        np.testing.assert_allclose(got[y == c], np.sqrt(np.einsum("ij,jk,ik->i", delta, pinv, delta)), rtol=1e-8)
    with pytest.raises(ValueError, match=r"embeddings\.covariance: unknown treatment 'inverse'"):
        embeddings.mahalanobis_to_centroid(z, y, "inverse")


def test_outliers_are_the_furthest_tenth_of_each_class():
    y = np.repeat([0, 1], [20, 9])
    d = np.arange(29, dtype=float)[::-1]
    flag = embeddings.outliers(d, y, 0.1)
    assert np.flatnonzero(flag).tolist() == [0, 1, 20]  # 2 of 20 and ceil(0.9) = 1 of 9


def test_centroid_relationship_is_a_ratio_of_cosine_distances():
    z, y = clusters(5, 4, seed=3)
    test = np.array([0.5, -1.0, 2.0, 0.1])
    got = embeddings.centroid_relationship(z, y, test)
    for i in range(len(z)):
        centroid = z[y == y[i]].mean(axis=0)
        np.testing.assert_allclose(got[i], distance.cosine(test, centroid) / distance.cosine(z[i], centroid))


def test_correlations_with_bootstrap_intervals():
    rng = np.random.default_rng(4)
    x = rng.normal(size=30)
    y = x + rng.normal(scale=0.5, size=30)
    row = embeddings.correlation_row(x, y, resamples=500, seed=0)
    assert row["n"] == 30 and row["pearson"] == pytest.approx(stats.pearsonr(x, y).statistic)
    assert row["spearman"] == pytest.approx(stats.spearmanr(x, y).statistic)
    for name in ("pearson", "spearman"):
        assert row[f"{name}_low"] < row[name] < row[f"{name}_high"] <= 1
    assert embeddings.correlation_row(x, y, resamples=500, seed=0) == row  # seeded
    assert np.isnan(embeddings.correlation_row(np.ones(5), y[:5], 100, 0)["pearson"])


def test_table_5_1_and_the_mahalanobis_overlap():
    n = 10
    table = pd.DataFrame(
        {
            "layer": "logits",
            "train_position": np.arange(n),
            "label": 0,
            "mahalanobis": np.arange(n, dtype=float),  # 9, 8, 7 furthest
            "selected": np.isin(np.arange(n), [9, 8, 1]),
        }
    )
    overlap = embeddings.mahalanobis_overlap(table, "t", "logits")
    assert overlap["k"] == 3 and overlap["overlap"] == 2 and overlap["expected_by_chance"] == pytest.approx(0.9)

    quantities = ["pixel_cosine", "embedding_cosine", "mahalanobis", "centroid_relationship", "predicted_exact"]
    long = pd.DataFrame(
        [
            {"test": t, "layer": "logits", "quantity": q, "pearson": i + 10 * j}
            for j, t in enumerate(["b_test", "a_test"])
            for i, q in enumerate(quantities)
        ]
    )
    wide = embeddings.table_5_1(long, "logits", ["exact"])
    assert wide.columns.tolist() == ["b_test", "a_test"]  # the config's order
    assert wide["a_test"].tolist() == [14, 12, 10, 11, 13]
    assert wide.index[0] == "predicted influence (exact)"


def test_metrics_table_joins_influence_per_training_point():
    z, y = clusters(4, 3)
    layers = {"logits": {"train": z, "test": z[:2] + 0.1}}
    pixels = np.random.default_rng(5).random((len(z), 8))
    metrics = embeddings.metrics_table(
        layers, pixels, pixels[0], y, test_position=1, covariance="pinv", outlier_fraction=0.25
    )
    np.testing.assert_allclose(metrics["embedding_cosine"], embeddings.cosine(z, z[1] + 0.1))
    np.testing.assert_allclose(metrics["pixel_cosine"].iloc[0], 1.0)
    predicted = pd.DataFrame(
        {
            "estimator": "exact",
            "train_position": np.arange(len(z)),
            PREDICTED: np.arange(len(z)) * 0.1,
        }
    )
    actual = pd.DataFrame({"train_position": [2, 5], ACTUAL: [0.3, -0.2], "selected": [True, False]})
    table = embeddings.with_influence(metrics, predicted, actual)
    assert table["selected"].tolist() == [i == 2 for i in range(len(z))]
    assert (
        np.isnan(table[ACTUAL].iloc[0])
        and table[ACTUAL].iloc[5] == -0.2
        and table["pred_exact"].iloc[3] == pytest.approx(0.3)
    )
