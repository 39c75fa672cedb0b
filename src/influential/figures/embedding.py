"""Embedding-space figures (thesis figures 5.4-5.18). Each takes one test point's metrics table for one layer
(embeddings.metrics_table joined with influence) and returns a Figure; plots.save writes it."""

import numpy as np
import pandas as pd
import seaborn as sns
from scipy import stats

from influential.core.names import ACTUAL, EMBEDDING_FIGURES
from influential.figures import theme


def _change(objective: str) -> str:
    """The axis label of actual influence on a test objective (e.g. "test loss")."""
    return f"actual change of the {objective} when left out"


def _retrained(metrics: pd.DataFrame) -> pd.DataFrame:
    return metrics[metrics[ACTUAL].notna()].assign(**{"class": lambda d: d["label"].astype(str)})


def _classes(metrics: pd.DataFrame) -> list[str]:
    return [str(c) for c in sorted(metrics["label"].unique())]


def _by_class(table: pd.DataFrame, x: str, y: str, hue: str, figsize=(7, 5), **style):
    """A new figure with one scatter of y against x, coloured by the categorical column `hue` (tab10)."""
    classes = sorted(table[hue].unique(), key=int)
    fig, ax = theme.subplots(figsize=figsize)
    sns.scatterplot(
        data=table, x=x, y=y, hue=hue, hue_order=classes, palette=theme.palette(len(classes)), ax=ax, **style
    )
    return fig, ax


def _pearson_text(x: np.ndarray, y: np.ndarray) -> str:
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return f"Pearson n/a, n = {len(x)}"
    return f"Pearson {stats.pearsonr(x, y).statistic:.3f}, n = {len(x)}"


def _image_row(axes, images, titles) -> None:
    for ax in axes:
        ax.axis("off")
    for ax, image, title in zip(axes, images, titles, strict=False):
        ax.imshow(np.squeeze(image), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(title, fontsize=9)


def _image_panels(test_image, test_title: str, rows: dict[str, tuple[list, list[str]]]):
    """The test image on the left, then one row of training images per entry of `rows` (label -> images, titles)."""
    n = max(1, *(len(images) for images, _ in rows.values()))
    fig, axes = theme.subplots(len(rows), n + 1, figsize=(1.8 * (n + 1), 2.2 * len(rows)), squeeze=False)
    for r, (label, (images, titles)) in enumerate(rows.items()):
        _image_row(axes[r, 1:], images, titles)
        axes[r, 1].text(-0.15, 0.5, label, transform=axes[r, 1].transAxes, rotation=90, va="center", ha="right")
        axes[r, 0].axis("off")
    _image_row(axes[0, :1], [test_image], [test_title])
    return fig


def influential_images(
    metrics, train_images, test_image, test_label: int, test_predicted: int, n: int = 5, objective: str = "test loss"
):
    """Figures 5.4/5.5: the test image and the n most helpful and n most harmful training images (actual)."""
    retrained = _retrained(metrics).sort_values(ACTUAL, ascending=False)
    rows = {}
    helpful, harmful = retrained[retrained[ACTUAL] > 0], retrained[retrained[ACTUAL] < 0].iloc[::-1]
    for name, part in (("most positive", helpful.head(n)), ("most negative", harmful.head(n))):
        titles = [f"class {r.label}\n{getattr(r, ACTUAL):+.2e}" for r in part.itertuples()]
        rows[name] = ([train_images[p] for p in part["train_position"]], titles)
    fig = _image_panels(test_image, f"test point\nclass {test_label}, predicted {test_predicted}", rows)
    helps = f"positive: leaving the point out raises the {objective}; negative: lowers it"
    fig.suptitle(f"Most influential training images by actual influence ({helps})", fontsize=10)
    fig.tight_layout()
    return fig


def nearest_and_furthest(metrics, train_images, test_image, n: int = 5):
    """Figure 5.9: the training images nearest to and furthest from the test point in embedding space."""
    ordered = metrics.sort_values(["embedding_distance", "train_position"])
    rows = {}
    for name, part in (("nearest", ordered.head(n)), ("furthest", ordered.iloc[::-1].head(n))):
        titles = [f"class {r.label}\nd = {r.embedding_distance:.3f}" for r in part.itertuples()]
        rows[name] = ([train_images[p] for p in part["train_position"]], titles)
    fig = _image_panels(test_image, "test point", rows)
    fig.suptitle(f"Nearest and furthest training images, cosine distance in {metrics['layer'].iloc[0]}", fontsize=10)
    fig.tight_layout()
    return fig


def metric_vs_influence(metrics: pd.DataFrame, metric: str, xlabel: str, objective: str = "test loss"):
    """Figures 5.6, 5.10, 5.17: one metric against actual influence for the retrained points, by class."""
    retrained = _retrained(metrics)
    fig, ax = _by_class(retrained, metric, ACTUAL, "class")
    ax.axhline(0, color="grey", lw=0.8, ls=":")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(_change(objective))
    ax.set_title(f"{metrics['test'].iloc[0]}: {_pearson_text(retrained[metric], retrained[ACTUAL])}")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
    ax.legend(title="class", fontsize=8)
    fig.tight_layout()
    return fig


def pixel_vs_embedding(metrics: pd.DataFrame):
    """Figure 5.7: distance to the test point in pixel space against distance in the embedding, all points."""
    table = metrics.assign(**{"class": metrics["label"].astype(str)})
    fig, ax = _by_class(table, "pixel_distance", "embedding_distance", "class", s=14, alpha=0.6)
    chosen = table[table["selected"]]
    ax.scatter(
        chosen["pixel_distance"],
        chosen["embedding_distance"],
        s=70,
        facecolors="none",
        edgecolors="black",
        label="retrained",
    )
    ax.set_xlabel("cosine distance in pixel space")
    ax.set_ylabel(f"cosine distance in {metrics['layer'].iloc[0]}")
    ax.set_title(f"{metrics['test'].iloc[0]}: distance to the test point, pixels against embedding")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def tsne(coords: np.ndarray, predicted: np.ndarray, highlight: dict[str, int], title: str):
    """Figure 5.8: t-SNE coordinates coloured by predicted class; the test points as stars."""
    table = pd.DataFrame({"x": coords[:, 0], "y": coords[:, 1], "predicted class": predicted.astype(str)})
    fig, ax = _by_class(table, "x", "y", "predicted class", figsize=(7.5, 6.5), s=12, alpha=0.7)
    for name, row in highlight.items():
        ax.scatter([coords[row, 0]], [coords[row, 1]], marker="*", s=320, color="gold", edgecolors="black", zorder=3)
        ax.annotate(name, coords[row], xytext=(8, 6), textcoords="offset points", fontsize=9)
    ax.set_xlabel("t-SNE 1")
    ax.set_ylabel("t-SNE 2")
    ax.set_title(title)
    ax.legend(title="predicted class", fontsize=8, markerscale=1.5)
    fig.tight_layout()
    return fig


def class_boxplots(metrics: pd.DataFrame, objective: str = "test loss"):
    """Figures 5.11-5.14: per class, embedding cosine similarity (all points) and actual influence (retrained)."""
    classes = _classes(metrics)
    table = metrics.assign(**{"class": metrics["label"].astype(str)})
    fig, axes = theme.subplots(1, 2, figsize=(12, 4.5))
    sns.boxplot(data=table, x="class", y="embedding_cosine", order=classes, color="lightsteelblue", ax=axes[0])
    axes[0].set_ylabel(f"cosine similarity to the test point ({metrics['layer'].iloc[0]})")
    axes[0].set_title("embedding similarity by class, all training points")
    sns.boxplot(data=_retrained(metrics), x="class", y=ACTUAL, order=classes, color="wheat", ax=axes[1])
    axes[1].axhline(0, color="grey", lw=0.8, ls=":")
    axes[1].set_ylabel(_change(objective))
    axes[1].set_title("actual influence by class, retrained points")
    fig.suptitle(f"Test point {metrics['test'].iloc[0]}")
    fig.tight_layout()
    return fig


def outlier_boxplot(metrics: pd.DataFrame, objective: str = "test loss"):
    """Figure 5.16: actual influence of class outliers against the rest (retrained points)."""
    retrained = _retrained(metrics)
    group = np.where(retrained["outlier"], "outlier", "rest")
    counts = pd.Series(group).value_counts()
    order = [g for g in ("outlier", "rest") if g in counts]
    fig, ax = theme.subplots(figsize=(5.5, 4.5))
    sns.boxplot(x=group, y=retrained[ACTUAL].to_numpy(), order=order, color="lightsteelblue", ax=ax)
    sns.stripplot(x=group, y=retrained[ACTUAL].to_numpy(), order=order, color="black", size=3, ax=ax)
    ax.set_xticks(range(len(order)), [f"{g} (n = {counts[g]})" for g in order])
    ax.axhline(0, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("furthest from the class centroid (Mahalanobis) vs the rest")
    ax.set_ylabel(_change(objective))
    ax.set_title(f"{metrics['test'].iloc[0]}: influence of class outliers")
    fig.tight_layout()
    return fig


def ann_results(history: pd.DataFrame, predictions: pd.DataFrame, objective: str = "test loss"):
    """Figure 5.18: the learned metric's learning curves, and its predictions against actual influence."""
    fig, axes = theme.subplots(1, 2, figsize=(12, 4.5))
    curves = history.melt(
        id_vars="epoch", value_vars=["train_mae", "heldout_mae"], var_name="split", value_name="mean absolute error"
    )
    sns.lineplot(data=curves, x="epoch", y="mean absolute error", hue="split", ax=axes[0])
    axes[0].set_title("learning curves")
    labels = {
        split: f"{split} ({_pearson_text(group[ACTUAL], group['ann_prediction'])})"
        for split, group in predictions.groupby("split")
    }
    sns.scatterplot(
        data=predictions.assign(split=predictions["split"].map(labels)),
        x=ACTUAL,
        y="ann_prediction",
        hue="split",
        ax=axes[1],
    )
    span = np.abs(predictions[[ACTUAL, "ann_prediction"]].to_numpy()).max() * 1.1
    axes[1].plot([-span, span], [-span, span], color="grey", lw=0.8, ls=":", label="y = x")
    axes[1].set_xlabel(_change(objective))
    axes[1].set_ylabel("learned metric's prediction")
    axes[1].set_title("predictions")
    axes[1].ticklabel_format(axis="both", style="sci", scilimits=(-2, 3))
    axes[1].legend(fontsize=8)
    fig.suptitle("Learned metric (thesis Table 4.3)")
    fig.tight_layout()
    return fig


def test_point_figures(
    metrics: pd.DataFrame,
    images: np.ndarray,
    point: dict,
    test_image: np.ndarray,
    layer: str,
    n: int,
    history: pd.DataFrame,
    predictions: pd.DataFrame,
) -> dict:
    """Every embedding-space figure of one test point (`point`: its record), by name in names.EMBEDDING_FIGURES'
    order; `metrics` holds the rows of `layer`, `history` and `predictions` are the learned metric's."""
    label, objective = f"{layer} layer", point["objective_label"]
    drawn = {
        "influential_images": influential_images(
            metrics, images, test_image, point["label"], point["predicted"], n, objective
        ),
        "pixel_cosine": metric_vs_influence(metrics, "pixel_cosine", "cosine similarity in pixel space", objective),
        "pixel_vs_embedding": pixel_vs_embedding(metrics),
        "nearest_furthest": nearest_and_furthest(metrics, images, test_image, n),
        "embedding_cosine": metric_vs_influence(
            metrics, "embedding_cosine", f"cosine similarity in embedding ({label})", objective
        ),
        "class_boxplots": class_boxplots(metrics, objective),
        "outliers": outlier_boxplot(metrics, objective),
        "centroid_relationship": metric_vs_influence(
            metrics, "centroid_relationship", f"centroid relationship ({label})", objective
        ),
        "mahalanobis": metric_vs_influence(
            metrics, "mahalanobis", f"Mahalanobis distance to class centroid ({label})", objective
        ),
        "learned_metric": ann_results(history, predictions, objective),
    }
    return {name: drawn[name] for name in EMBEDDING_FIGURES}
