"""Figures of the data, training, influence against leave-one-out, retraining and mislabel stages, in the figures'
style (figures.theme). Each returns a Figure; `save` writes it."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from influential.core import io
from influential.core.names import ACTUAL, PREDICTED, RAW
from influential.data.splits import Dataset
from influential.figures import theme


def save(fig, path, dpi: int = 150) -> None:
    """Write a figure atomically (io.atomic_path) and close it."""
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    plt.close(fig)


def _class_names(dataset: Dataset) -> list[str]:
    classes = dataset.meta.get("classes")
    return [str(c) for c in classes] if classes else [str(c) for c in range(dataset.n_classes)]


def dataset_overview(dataset: Dataset, test_points: pd.DataFrame, theta: np.ndarray | None = None):
    """Thesis figure 4.1 for 2-D data (clusters, outlier, decision boundary); a grid of examples for images."""
    if dataset.train.x.ndim == 2 and dataset.train.x.shape[1] == 2:
        return _two_dimensional(dataset, test_points, theta)
    return _image_grid(dataset)


def _two_dimensional(dataset: Dataset, test_points: pd.DataFrame, theta: np.ndarray | None):
    names = _class_names(dataset)
    train = pd.DataFrame(
        {
            "x1": dataset.train.x[:, 0],
            "x2": dataset.train.x[:, 1],
            "class": [names[c] for c in dataset.train.y],
        }
    )
    fig, ax = theme.subplots(figsize=(6.5, 5.5))
    sns.scatterplot(data=train, x="x1", y="x2", hue="class", palette=theme.palette(len(names)), s=28, alpha=0.8, ax=ax)
    for name, positions in dataset.marked_positions().items():
        for pos in positions:
            x1, x2 = dataset.train.x[pos]
            ax.scatter([x1], [x2], s=220, facecolors="none", edgecolors="black", linewidths=1.5)
            ax.annotate(
                f"{name} (class {names[dataset.train.y[pos]]})",
                (x1, x2),
                xytext=(-10, -18),
                textcoords="offset points",
                ha="right",
            )
    for row in test_points.itertuples():
        x1, x2 = dataset.test.x[row.test_position]
        ax.scatter([x1], [x2], marker="*", s=260, color=theme.palette(len(names))[row.label], edgecolors="black")
        ax.annotate(row.test, (x1, x2), xytext=(8, 6), textcoords="offset points", fontsize=9)
    if theta is not None and len(theta) == 3:  # a linear boundary w1 x1 + w2 x2 + b = 0
        (x_lo, x_hi), y_limits = ax.get_xlim(), ax.get_ylim()
        xs = np.linspace(x_lo, x_hi, 2)
        ax.plot(xs, -(theta[2] + theta[0] * xs) / theta[1], "k--", lw=1, label="decision boundary")
        ax.set_xlim(x_lo, x_hi)
        ax.set_ylim(*y_limits)
    ax.set_title(f"Training data ({len(dataset.train)} points); stars: test points")
    ax.legend(loc="best", title="class")
    return fig


def _image_grid(dataset: Dataset, per_class: int = 8):
    names = _class_names(dataset)
    fig, axes = theme.subplots(len(names), per_class, figsize=(per_class * 0.9, len(names) * 1.0), squeeze=False)
    for c, row in enumerate(axes):
        positions = np.flatnonzero(dataset.train.y == c)[:per_class]
        for ax, pos in zip(row, positions, strict=False):
            ax.imshow(dataset.train.x[pos].squeeze(), cmap="gray_r", vmin=0, vmax=1)
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(names[c], rotation=0, labelpad=12, fontsize=12)
    fig.suptitle(f"Training examples by class ({len(dataset.train)} in all)")
    return fig


def predicted_vs_actual(
    joined: pd.DataFrame, agreement: pd.DataFrame, dataset: Dataset, estimator: str, objectives: dict[str, str]
):
    """Thesis figure 5.2 / 5.3: predicted against actual change of each test point's objective (`objectives`: test
    -> what it measures, e.g. "test loss"), coloured by class."""
    names = _class_names(dataset)
    tests = sorted(joined["test"].unique())
    ncols = min(2, len(tests))
    nrows = -(-len(tests) // ncols)
    fig, axes = theme.subplots(nrows, ncols, figsize=(5.6 * ncols, 4.8 * nrows), squeeze=False)
    for ax in axes.flat[len(tests) :]:
        ax.set_visible(False)
    marked = {pos: name for name, positions in dataset.marked_positions().items() for pos in positions}
    for ax, test in zip(axes.flat, tests, strict=False):
        group = joined[joined["test"] == test].assign(**{"class": lambda d: [names[c] for c in d["label"]]})
        sns.scatterplot(
            data=group,
            x=ACTUAL,
            y=PREDICTED,
            hue="class",
            hue_order=names,
            palette=theme.palette(len(names)),
            s=22,
            alpha=0.8,
            ax=ax,
        )
        span = np.abs(group[[ACTUAL, PREDICTED]].to_numpy()).max() * 1.1
        ax.plot([-span, span], [-span, span], color="grey", lw=0.8, ls=":", label="y = x")
        for row in group[group["train_position"].isin(marked)].itertuples():
            actual, predicted = getattr(row, ACTUAL), getattr(row, PREDICTED)
            ax.scatter([actual], [predicted], s=200, facecolors="none", edgecolors="black", linewidths=1.5)
            ax.annotate(
                marked[row.train_position],
                (actual, predicted),
                xytext=(-8, 8),
                textcoords="offset points",
                ha="right",
            )
        stats = agreement[(agreement["test"] == test) & (agreement["estimator"] == estimator)].iloc[0]
        ax.set_title(f"{test}: Pearson {stats.pearson:.3f}, Spearman {stats.spearman:.3f}")
        paired = " (retrained, minus control)" if RAW in group else ""
        ax.set_xlabel(f"actual change of the {objectives[test]} when left out{paired}")
        ax.set_ylabel(f"predicted change of the {objectives[test]} ({estimator})")
        ax.ticklabel_format(axis="both", style="sci", scilimits=(-2, 3))
        ax.legend(title="class", fontsize=8)
    fig.suptitle(f"Predicted vs leave-one-out influence, estimator {estimator}")
    fig.tight_layout()
    return fig


def parameter_change_maps(changes: dict[str, np.ndarray], position: int):
    """Thesis figure 5.19: every parameter's change (one pixel each, in the order of the flat vector) after
    retraining without one training point, one panel per protocol, each on its own symmetric colour scale."""
    fig, axes = theme.subplots(1, len(changes), figsize=(6 * len(changes), 5.2), squeeze=False)
    for ax, (protocol, change) in zip(axes[0], changes.items(), strict=True):
        side = int(np.ceil(np.sqrt(len(change))))
        grid = np.full(side * side, np.nan)
        grid[: len(change)] = change
        limit = float(np.abs(change).max()) or 1.0
        image = ax.imshow(grid.reshape(side, side), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"{protocol}: distance {np.linalg.norm(change):.4g}")
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, shrink=0.8, label="change of the parameter")
    fig.suptitle(f"Parameters after retraining without training point {position}, minus the checkpoint")
    return fig


def training_curves(log: pd.DataFrame):
    """Loss and accuracy on train and validation against the step, with the learning rate."""
    long = log.melt(id_vars=["step"], value_vars=[c for c in log.columns if c.startswith(("train_", "validation_"))])
    long[["split", "measure"]] = long["variable"].str.split("_", n=1, expand=True)
    fig, axes = theme.subplots(1, 3, figsize=(15, 4.2))
    for ax, measure in zip(axes[:2], ["loss", "accuracy"], strict=True):
        sns.lineplot(data=long[long["measure"] == measure], x="step", y="value", hue="split", marker="o", ax=ax)
        ax.set_ylabel(measure if measure == "accuracy" else "mean cross-entropy")
        ax.set_title(f"{measure} during training")
    axes[0].set_yscale("log")
    sns.lineplot(data=log, x="step", y="learning_rate", drawstyle="steps-pre", ax=axes[2])
    axes[2].set_yscale("log")
    axes[2].set_title("learning rate")
    fig.tight_layout()
    return fig


def mislabel_overview(curves: pd.DataFrame, summary: pd.DataFrame, fixes: pd.DataFrame, inspect: float):
    """Left: the share of flipped labels found against the share of the training set inspected, per ranker (Koh &
    Liang's figure 6). Right: test loss after fixing each ranking's top share (per protocol: restoring the flipped
    labels found, or dropping the points) and training again, test accuracy above each bar, between nothing fixed
    and everything fixed."""
    fig, (left, right) = theme.subplots(1, 2, figsize=(13, 4.8))
    auc = dict(zip(summary["ranker"], summary["roc_auc"], strict=True))
    for ranker, curve in curves.groupby("ranker", sort=False):
        left.plot(curve["inspected"], curve["found"], label=f"{ranker} (AUC {auc[ranker]:.3f})")
    left.axvline(inspect, color="grey", linestyle=":", linewidth=1)
    left.set_xlabel("share of the training set inspected")
    left.set_ylabel("share of flipped labels found")
    left.legend(fontsize=7, loc="lower right")
    rankers = fixes[~fixes["fixed_by"].isin(["none", "all"])]
    order = list(dict.fromkeys(rankers["fixed_by"]))
    sns.barplot(data=rankers, x="fixed_by", y="test_loss", hue="protocol", order=order, ax=right)
    for container, (_, part) in zip(right.containers, rankers.groupby("protocol", sort=False), strict=True):
        accuracy = part.set_index("fixed_by").loc[order, "test_accuracy"]
        right.bar_label(container, labels=[f"{a:.3f}" for a in accuracy], fontsize=6, rotation=90, padding=2)
    styles = {"none": "--", "restore": "-", "drop": "-."}  # the protocol of nothing fixed is `none`
    for row in fixes[fixes["fixed_by"].isin(["none", "all"])].itertuples():
        what = "nothing fixed" if row.fixed_by == "none" else f"every flipped point: {row.protocol}"
        label = f"{what}: loss {row.test_loss:.3f}, acc {row.test_accuracy:.3f}"
        right.axhline(row.test_loss, color="black", linestyle=styles[row.protocol], linewidth=1, label=label)
    right.set_ylim(0, 1.3 * fixes["test_loss"].max())  # room for the accuracies above the bars
    right.tick_params(axis="x", labelrotation=30, labelsize=7)
    right.set_xlabel("ranking whose top share was fixed")
    right.set_ylabel("mean test loss after training again")
    right.legend(fontsize=7, loc="upper left")
    return fig
