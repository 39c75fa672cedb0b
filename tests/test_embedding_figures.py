"""Embedding-space figures show the points they claim to show."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from influential.core.names import ACTUAL
from influential.figures import embedding as figures
from influential.figures import plots


@pytest.fixture
def metrics():
    rng = np.random.default_rng(0)
    n = 60
    actual = np.full(n, np.nan)
    actual[:20] = rng.normal(size=20) * 1e-2
    cosine = rng.uniform(-1, 1, n)
    return pd.DataFrame(
        {
            "test": "t",
            "layer": "logits",
            "train_position": np.arange(n),
            "label": np.arange(n) % 10,
            "pixel_cosine": rng.uniform(0, 1, n),
            "embedding_cosine": cosine,
            "embedding_distance": 1 - cosine,
            "pixel_distance": rng.uniform(0, 1, n),
            "mahalanobis": rng.uniform(0, 5, n),
            "centroid_relationship": rng.uniform(0, 2, n),
            "outlier": np.arange(n) % 10 == 0,
            ACTUAL: actual,
            "selected": np.arange(n) < 20,
        }
    )


def titles(fig):
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


def test_influential_images_are_the_extremes_of_actual_influence(metrics):
    images = np.random.default_rng(1).random((60, 28, 28, 1))
    fig = figures.influential_images(metrics, images, images[0], 6, 4, n=3)
    shown = titles(fig)
    assert shown[0] == "test point\nclass 6, predicted 4"
    ordered = metrics.dropna().sort_values(ACTUAL)
    expected = [*ordered.iloc[::-1].head(3).itertuples(), *ordered.head(3).itertuples()]
    assert sorted(shown[1:]) == sorted(f"class {r.label}\n{getattr(r, ACTUAL):+.2e}" for r in expected)
    plt.close(fig)


def test_nearest_and_furthest_in_embedding_space(metrics):
    images = np.random.default_rng(1).random((60, 28, 28))
    fig = figures.nearest_and_furthest(metrics, images, images[0], n=2)
    ordered = metrics.sort_values("embedding_distance")
    expected = [*ordered.head(2).itertuples(), *ordered.iloc[::-1].head(2).itertuples()]
    assert titles(fig)[1:] == [f"class {r.label}\nd = {r.embedding_distance:.3f}" for r in expected]
    plt.close(fig)


@pytest.mark.parametrize("metric", ["pixel_cosine", "embedding_cosine", "mahalanobis", "centroid_relationship"])
def test_scatter_titles_carry_pearson_over_the_retrained_points(metrics, metric):
    fig = figures.metric_vs_influence(metrics, metric, metric)
    retrained = metrics.dropna()
    r = stats.pearsonr(retrained[metric], retrained[ACTUAL]).statistic
    assert titles(fig) == [f"t: Pearson {r:.3f}, n = 20"]
    assert fig.axes[0].get_xlabel() == metric and fig.axes[0].get_legend() is not None
    plt.close(fig)


def test_the_other_figures_draw_every_panel(metrics):
    history = pd.DataFrame({"epoch": [1, 2, 3], "train_mae": [3.0, 2.0, 1.0], "heldout_mae": [3.0, 3.0, 3.5]})
    predictions = pd.DataFrame(
        {"train_position": range(6), "split": ["train"] * 4 + ["heldout"] * 2, ACTUAL: range(6), "ann_prediction": 1.0}
    )
    coords = np.random.default_rng(2).normal(size=(60, 2))
    drawn = {
        "pixel_vs_embedding": figures.pixel_vs_embedding(metrics),
        "tsne": figures.tsne(coords, np.arange(60) % 10, {"t": 5}, "t-SNE"),
        "class_boxplots": figures.class_boxplots(metrics),
        "outliers": figures.outlier_boxplot(metrics),
        "ann": figures.ann_results(history, predictions),
    }
    assert {name: len(fig.axes) for name, fig in drawn.items()} == {
        "pixel_vs_embedding": 1, "tsne": 1, "class_boxplots": 2, "outliers": 1, "ann": 2,
    }  # fmt: skip
    outliers = [t.get_text() for t in drawn["outliers"].axes[0].get_xticklabels()]
    assert outliers == ["outlier (n = 2)", "rest (n = 18)"]
    legend = [t.get_text() for t in drawn["ann"].axes[1].get_legend().get_texts()]
    assert "heldout (Pearson n/a, n = 2)" in legend and "train (Pearson n/a, n = 4)" in legend  # constant output
    for fig in drawn.values():
        assert all(ax.get_title() or ax.get_xlabel() for ax in fig.axes)
        plt.close(fig)


def test_parameter_change_maps_show_every_parameter_with_its_distance():
    changes = {"warm_start": np.full(2616, 1e-3), "reset": np.linspace(-1, 1, 2616)}
    fig = plots.parameter_change_maps(changes, 17)
    images = [ax for ax in fig.axes if ax.get_images()]
    assert [ax.get_title() for ax in images] == [
        f"warm_start: distance {np.sqrt(2616) * 1e-3:.4g}",
        f"reset: distance {np.linalg.norm(changes['reset']):.4g}",
    ]
    shown = images[1].get_images()[0].get_array()
    assert shown.shape == (52, 52) and np.ma.count(shown) == 2616  # one pixel per parameter, the rest blank
    plt.close(fig)
