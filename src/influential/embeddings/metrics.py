"""The embedding space (thesis 4.2.5, 5.2-5.4): similarity and distance metrics per training point in each layer's
outputs (models.AllCNN.representations), and how they correlate with actual influence.

All cosine quantities compare flattened vectors. Distances to a class centroid use that class's covariance; a
class has fewer examples than most layers have dimensions, so its sample covariance is singular and is either
shrunk towards a multiple of the identity (Ledoit-Wolf, the default: always invertible) or pseudo-inverted
(distance measured within the span of the class's examples only).
"""

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.covariance import ledoit_wolf_shrinkage

from influential.core.names import ACTUAL, COVARIANCES, PREDICTED

METRICS = ("pixel_cosine", "embedding_cosine", "mahalanobis", "centroid_relationship")


def cosine(rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row with one vector (0 where either is the zero vector)."""
    rows, vector = rows.reshape(len(rows), -1).astype(np.float64), vector.ravel().astype(np.float64)
    norms = np.linalg.norm(rows, axis=1) * np.linalg.norm(vector)
    return np.divide(rows @ vector, norms, out=np.zeros(len(rows)), where=norms > 0)


def class_centroids(z: np.ndarray, y: np.ndarray) -> dict[int, np.ndarray]:
    return {int(c): z[y == c].mean(axis=0) for c in np.unique(y)}


def mahalanobis_to_centroid(z: np.ndarray, y: np.ndarray, covariance: str = "ledoit_wolf") -> np.ndarray:
    """Each row's Mahalanobis distance to the centroid of its own class, with that class's covariance.

    Both treatments work in the span of the class's centred examples, where every member's offset lies (their
    SVD, so a 5,408-dimensional layer costs n_c^2 d, not d^3): `ledoit_wolf` inverts (1 - a) S + a tr(S)/d I with
    scikit-learn's shrinkage a, always invertible; `pinv` uses the pseudo-inverse of S, ignoring the directions in
    which no member varies.
    """
    if covariance not in COVARIANCES:
        raise ValueError(f"embeddings.covariance: unknown treatment {covariance!r} ({' or '.join(COVARIANCES)})")
    distances = np.zeros(len(z))
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        x = z[members].astype(np.float64)
        delta = x - x.mean(axis=0)
        _, s, vt = np.linalg.svd(delta, full_matrices=False)
        variances = s**2 / len(x)  # eigenvalues of S = delta^T delta / n_c on the span
        if len(x) < 2 or variances.max() == 0:
            continue  # one member, or all identical: at the centroid
        if covariance == "ledoit_wolf":
            shrinkage = ledoit_wolf_shrinkage(x)
            eigenvalues, keep = (1 - shrinkage) * variances + shrinkage * variances.sum() / x.shape[1], slice(None)
        else:
            eigenvalues, keep = variances, variances > variances.max() * max(x.shape) * np.finfo(float).eps
        projected = delta @ vt[keep].T
        distances[members] = np.sqrt(np.sum(projected**2 / eigenvalues[keep], axis=1))
    return distances


def outliers(distance: np.ndarray, y: np.ndarray, fraction: float) -> np.ndarray:
    """The `fraction` of each class furthest from its centroid (at least one per class)."""
    flag = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        count = max(1, int(np.ceil(fraction * len(members))))
        flag[members[np.argsort(-distance[members], kind="stable")[:count]]] = True
    return flag


def centroid_relationship(z_train: np.ndarray, y: np.ndarray, z_test: np.ndarray) -> np.ndarray:
    """d(test, centroid of the training point's class) / d(training point, its class centroid), cosine distances:
    small when the test point sits closer to the class than the training point itself does."""
    result = np.empty(len(z_train))
    for c, centroid in class_centroids(z_train, y).items():
        members = np.flatnonzero(y == c)
        to_test = 1 - cosine(z_test[None, :], centroid)[0]
        own = 1 - cosine(z_train[members], centroid)
        result[members] = np.divide(to_test, own, out=np.full(len(members), np.nan), where=own > 0)
    return result


def metrics_table(
    layers: dict[str, dict[str, np.ndarray]],
    pixels_train: np.ndarray,
    pixel_test: np.ndarray,
    y_train: np.ndarray,
    test_position: int,
    covariance: str,
    outlier_fraction: float,
) -> pd.DataFrame:
    """One row per (layer, training point) for one test point. `layers[name]` holds "train" and "test" arrays."""
    pixel = cosine(pixels_train, pixel_test)
    frames = []
    for name, z in layers.items():
        train, test = z["train"], z["test"][test_position]
        distance = mahalanobis_to_centroid(train, y_train, covariance)
        embedding = cosine(train, test)
        frames.append(
            pd.DataFrame(
                {
                    "layer": name,
                    "train_position": np.arange(len(train)),
                    "label": y_train,
                    "pixel_cosine": pixel,
                    "pixel_distance": 1 - pixel,
                    "embedding_cosine": embedding,
                    "embedding_distance": 1 - embedding,
                    "mahalanobis": distance,
                    "centroid_relationship": centroid_relationship(train, y_train, test),
                    "outlier": outliers(distance, y_train, outlier_fraction),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def with_influence(
    metrics: pd.DataFrame, predicted: pd.DataFrame, actual: pd.DataFrame, chosen_by: str | None = None
) -> pd.DataFrame:
    """Add each estimator's predicted influence (`pred_{estimator}`, and PREDICTED for `chosen_by`, the one that
    chose the retrained points), the actual influence (NaN where not retrained) and `selected`."""
    wide = predicted.pivot(index="train_position", columns="estimator", values=PREDICTED).add_prefix("pred_")
    if chosen_by is not None:
        wide[PREDICTED] = wide[f"pred_{chosen_by}"]
    table = metrics.merge(wide, left_on="train_position", right_index=True, how="left")
    measured = actual[["train_position", ACTUAL, "selected"]]
    table = table.merge(measured, on="train_position", how="left")
    table["selected"] = table["selected"].astype("boolean").fillna(False).astype(bool)
    return table


def _pearson(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Pearson r along an axis, vectorised over the others (the bootstrap's resamples)."""
    dx, dy = x - x.mean(axis, keepdims=True), y - y.mean(axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.clip((dx * dy).sum(axis) / np.sqrt((dx**2).sum(axis) * (dy**2).sum(axis)), -1, 1)


def _spearman(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return _pearson(stats.rankdata(x, axis=axis), stats.rankdata(y, axis=axis), axis)


def correlation_row(x: np.ndarray, y: np.ndarray, resamples: int, seed: int) -> dict:
    """Pearson and Spearman of x with y, n, and percentile-bootstrap 95% intervals (pairs resampled; a resample
    with no spread has no correlation and is dropped)."""
    row = {"n": len(x)}
    for name, statistic in (("pearson", _pearson), ("spearman", _spearman)):
        constant = len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0
        row[name] = np.nan if constant else float(statistic(x, y))
        row[f"{name}_low"] = row[f"{name}_high"] = np.nan
        if not constant:
            draws = np.random.default_rng(seed).integers(0, len(x), size=(resamples, len(x)))
            values = statistic(x[draws], y[draws])
            row[f"{name}_low"], row[f"{name}_high"] = np.nanpercentile(values, [2.5, 97.5]).tolist()
    return row


def correlations(table: pd.DataFrame, test: str, resamples: int, seed: int) -> pd.DataFrame:
    """Long table: for each layer, each metric's and each estimator's correlation with the actual influence over
    the points retrained for this test point."""
    rows = []
    estimators = [c for c in table if c.startswith("pred_") and c != PREDICTED]
    for layer, group in table[table["selected"]].groupby("layer", sort=False):
        actual = group[ACTUAL].to_numpy()
        quantities = {metric: metric for metric in METRICS} | {f"predicted_{c[5:]}": c for c in estimators}
        for quantity, column in quantities.items():
            rows.append(
                {"test": test, "layer": layer, "quantity": quantity}
                | correlation_row(group[column].to_numpy(), actual, resamples, seed)
            )
    return pd.DataFrame(rows)


TABLE_5_1 = {
    "Mahalanobis distance to class centroid": "mahalanobis",
    "cosine similarity in pixel space": "pixel_cosine",
    "cosine similarity in embedding": "embedding_cosine",
    "centroid relationship": "centroid_relationship",
}


def table_5_1(
    correlations: pd.DataFrame, layer: str, estimators: list[str], lds: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Thesis Table 5.1: Pearson correlation with actual influence, one row per estimator's predicted influence and
    then the thesis' metric rows, one column per test point; where the experiment has the linear datamodeling score
    (`lds`: tables/lds.csv), a row per fraction and estimator after them with its LDS (a Spearman correlation over
    the subsets, not a Pearson over retrained points)."""
    chosen = correlations[correlations["layer"] == layer]
    wide = chosen.pivot(index="quantity", columns="test", values="pearson")
    quantities = {f"predicted influence ({name})": f"predicted_{name}" for name in estimators} | TABLE_5_1
    table = wide.loc[list(quantities.values())].set_axis(list(quantities), axis=0)
    if lds is not None and len(lds):
        fraction = lds["actual"].str.removeprefix("lds_")
        scores = lds.assign(row="LDS, subsets of " + fraction + " (" + lds["estimator"] + ")")
        table = pd.concat([table, scores.pivot(index="row", columns="test", values="spearman")])
    table.index.name = f"Pearson with actual influence ({layer})"
    return table[list(dict.fromkeys(correlations["test"]))]


def mahalanobis_overlap(table: pd.DataFrame, test: str, layer: str) -> dict:
    """How many of the k points furthest from their class centroid are among the k retrained for the test point
    (the thesis: 261 of 500), against the k^2/n expected by chance."""
    group = table[table["layer"] == layer]
    k = int(group["selected"].sum())
    furthest = set(group.nlargest(k, "mahalanobis")["train_position"])
    overlap = len(furthest & set(group.loc[group["selected"], "train_position"]))
    return {
        "test": test,
        "layer": layer,
        "k": k,
        "n_train": len(group),
        "overlap": overlap,
        "expected_by_chance": k * k / len(group),
    }
