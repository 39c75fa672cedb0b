"""Figures of the Gaussian-mixture experiment (cross-loss influence): where the most influential points of a test
point lie, predicted against actual change, and the per test point correlations. TensorFlow-free."""

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import ListedColormap
from matplotlib.patches import Ellipse
from scipy import stats

from influential.core.names import MATCHED, UNSUPERVISED
from influential.figures import theme

TITLES = {UNSUPERVISED: "fitted without labels (cross-loss)", MATCHED: "fitted with labels (matched)"}


def _ellipse(ax, mean, covariance, colour) -> None:
    """The component's two-standard-deviation ellipse."""
    values, vectors = np.linalg.eigh(covariance)
    angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1]))
    width, height = 4 * np.sqrt(values[::-1])
    ax.add_patch(Ellipse(mean, width, height, angle=angle, fill=False, color=colour, linewidth=1.5, linestyle="--"))


def _regions(ax, fit, colours, x) -> None:
    """Shade where each component has the largest posterior (the model's classification of the plane)."""
    pad = 1.0
    grid = np.stack(
        np.meshgrid(
            np.linspace(x[:, 0].min() - pad, x[:, 0].max() + pad, 300),
            np.linspace(x[:, 1].min() - pad, x[:, 1].max() + pad, 300),
        ),
        -1,
    )
    scores = np.stack(
        [
            np.log(w) + stats.multivariate_normal(m, c).logpdf(grid)
            for m, c, w in zip(fit["means"], fit["covariances"], fit["weights"], strict=True)
        ],
        -1,
    )
    cmap = ListedColormap(colours)
    ax.contourf(
        *grid.transpose(2, 0, 1), scores.argmax(-1), levels=np.arange(len(colours) + 1) - 0.5, cmap=cmap, alpha=0.12
    )


def influential_points(x, y, fits: dict, predicted: dict, agreement: pd.DataFrame, test: int, top: int):
    """For each model a panel: the data by class, the fitted components, the test point and its `top` most helpful
    points (leaving them out raises -log p(class | x) the most) and most harmful ones, by predicted influence."""
    colours = theme.palette(int(y.max()) + 1)
    fig, axes = theme.subplots(1, len(fits), figsize=(6.2 * len(fits), 5.4), sharex=True, sharey=True, squeeze=False)
    for ax, (model, fit) in zip(axes[0], fits.items(), strict=True):
        change = predicted[model][test]
        helpful, harmful = np.argsort(-change)[:top], np.argsort(change)[:top]
        _regions(ax, fit, colours, x)
        ax.scatter(*x.T, c=[colours[c] for c in y], s=14, alpha=0.5, linewidths=0)
        if model == UNSUPERVISED:  # the matched fit's components need not sit on their clusters: it models p(y | x)
            for mean, covariance, colour in zip(fit["means"], fit["covariances"], colours, strict=True):
                _ellipse(ax, mean, covariance, colour)
        ax.scatter(*x[helpful].T, s=90, facecolors="none", edgecolors="green", linewidths=1.6, label="most helpful")
        ax.scatter(*x[harmful].T, s=70, marker="x", color="red", linewidths=1.6, label="most harmful")
        ax.scatter(*x[test], s=260, marker="*", color="black", label=f"test point {test} (class {y[test]})")
        r = agreement.query("model == @model and test_position == @test")["pearson"].item()
        ax.set_title(f"{TITLES.get(model, model)}\nPearson with leave-one-out {r:.3f}", fontsize=10)
        ax.set_xlabel("x1")
        ax.set_aspect("equal", adjustable="box")
    axes[0, 0].set_ylabel("x2")
    axes[0, 0].legend(loc="best", fontsize=8)
    fig.suptitle(
        f"Most influential training points on -log p(class | x) of point {test}\n"
        "shaded: each model's classification; dashed: the unsupervised components (2 std)",
        y=1.04,
    )
    return fig


def predicted_vs_actual(predicted: dict, actual: dict, agreement: pd.DataFrame, test: int):
    """Per model: predicted against actual change of the test point's objective, every training point left out."""
    fig, axes = theme.subplots(1, len(predicted), figsize=(5.2 * len(predicted), 4.6), squeeze=False)
    for ax, model in zip(axes[0], predicted, strict=True):
        p, a = predicted[model][test], actual[model][test]
        ax.scatter(p, a, s=16, alpha=0.7)
        ends = [min(p.min(), a.min()), max(p.max(), a.max())]
        ax.plot(ends, ends, color="grey", linewidth=1, linestyle="--", label="predicted = actual")
        row = agreement.query("model == @model and test_position == @test").iloc[0]
        ax.set_title(f"{TITLES.get(model, model)}\nPearson {row.pearson:.3f}, Spearman {row.spearman:.3f}", fontsize=10)
        ax.set_xlabel("predicted change if removed")
        ax.ticklabel_format(style="sci", scilimits=(-2, 3))
    axes[0, 0].set_ylabel("actual change if removed (refit)")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(f"-log p(class | x) of point {test}: (1/n) grad f^T H^-1 grad r_z against leave-one-out", y=1.02)
    return fig


def correlations(agreement: pd.DataFrame):
    """Per test point Pearson over the training points, by class and model, with the 0.6 and 0.8 marks."""
    fig, ax = theme.subplots(figsize=(7.5, 4.6))
    table = agreement.assign(
        model=agreement["model"].map(lambda m: TITLES.get(m, m)), **{"class": agreement["class"].astype(str)}
    )
    sns.boxplot(data=table, x="class", y="pearson", hue="model", ax=ax, fliersize=0, width=0.6)
    sns.stripplot(data=table, x="class", y="pearson", hue="model", dodge=True, ax=ax, size=2.5, alpha=0.5, legend=False)
    for mark in (0.6, 0.8):
        ax.axhline(mark, color="grey", linewidth=1, linestyle=":")
    ax.set_ylabel("Pearson with leave-one-out, per test point")
    ax.set_xlabel("class of the test point")
    ax.legend(fontsize=8, loc="lower left")
    return fig
