"""t-SNE of the logits of the training examples and the test points (thesis figure 5.3)."""

import numpy as np
import pandas as pd
from sklearn.manifold import TSNE


def coordinates(z: np.ndarray, perplexity: float, learning_rate: float, max_iter: int, seed: int) -> np.ndarray:
    """Two-dimensional t-SNE coordinates (scikit-learn, PCA initialisation)."""
    model = TSNE(
        perplexity=min(perplexity, len(z) - 1),
        learning_rate=learning_rate,
        max_iter=max_iter,
        init="pca",
        random_state=seed,
    )
    return model.fit_transform(z.astype(np.float64))


def table(logits: dict[str, np.ndarray], points: pd.DataFrame, settings: dict) -> pd.DataFrame:
    """Every training example's and every test point's t-SNE coordinates (`logits`: by split; `points`: the test
    points' `test` and `test_position`; `settings`: the config's embeddings.tsne), with its predicted class."""
    z = np.vstack([logits["train"], logits["test"][points["test_position"]]])
    xy = coordinates(z, settings["perplexity"], settings["learning_rate"], settings["max_iter"], settings["seed"])
    n = len(logits["train"])
    return pd.DataFrame(
        {
            "point": [""] * n + points["test"].tolist(),
            "position": np.concatenate([np.arange(n), points["test_position"]]),
            "predicted": z.argmax(axis=1),
            "x": xy[:, 0],
            "y": xy[:, 1],
        }
    )
