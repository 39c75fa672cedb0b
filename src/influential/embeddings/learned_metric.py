"""The learned metric of thesis Table 4.3: a network from a training point's embedding and label to its actual
influence on one test point, trained on some retrained points and judged on the others."""

from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from scipy import stats


@dataclass(frozen=True)
class AnnSettings:
    """The config's embeddings.ann (its defaults are the schema's)."""

    layer: str
    hidden: int
    depth: int
    epochs: int
    batch_size: int
    learning_rate: float
    l2: float
    heldout_fraction: float
    seed: int

    @classmethod
    def from_config(cls, ann: dict) -> "AnnSettings":
        return cls(**ann)


def heldout_split(n: int, fraction: float, seed: int) -> np.ndarray:
    """Mask of the held-out rows: a seeded random `fraction` (at least one row, and at least one left to train)."""
    count = min(max(1, round(fraction * n)), n - 1)
    mask = np.zeros(n, dtype=bool)
    mask[np.random.default_rng(seed).choice(n, count, replace=False)] = True
    return mask


def _network(inputs: int, settings: AnnSettings) -> keras.Model:
    layers = [keras.Input((inputs,))]
    for i in range(settings.depth):
        layers.append(
            keras.layers.Dense(
                settings.hidden,
                activation="relu",
                kernel_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=settings.seed + i),
                kernel_regularizer=keras.regularizers.L2(settings.l2),
            )
        )
    layers.append(keras.layers.Dense(1, kernel_initializer=keras.initializers.RandomUniform(seed=settings.seed)))
    return keras.Sequential(layers)


def _train(network: keras.Model, x: np.ndarray, y: np.ndarray, heldout: np.ndarray, settings: AnnSettings):
    """Adam on mean absolute error + L2, shuffled minibatches; MAE on both splits after every epoch. A plain loop:
    Keras' fit costs ~0.1 s per epoch in bookkeeping, ten times the training itself at this size."""
    optimizer = keras.optimizers.Adam(settings.learning_rate)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.abs(network(xb, training=True)[:, 0] - yb)) + tf.add_n(network.losses)
        variables = network.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))

    train = np.flatnonzero(~heldout)
    rng = np.random.default_rng(settings.seed)
    curves = []
    for _ in range(settings.epochs):
        order = rng.permutation(train)
        for i in range(0, len(order), settings.batch_size):
            step(x[order[i : i + settings.batch_size]], y[order[i : i + settings.batch_size]])
        error = np.abs(network(x).numpy()[:, 0] - y)
        curves.append((error[~heldout].mean(), error[heldout].mean()))
    return np.array(curves)


def fit(
    embedding: np.ndarray, labels: np.ndarray, n_classes: int, target: np.ndarray, settings: AnnSettings
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, dict]:
    """Train on the non-held-out rows; returns learning curves (MAE per epoch, original units), predictions for
    every row, the held-out mask and a summary. Inputs and target are standardised with the training rows' mean
    and spread (influence values are ~1e-3, far below the network's initial outputs)."""
    heldout = heldout_split(len(target), settings.heldout_fraction, settings.seed)
    features = np.hstack([embedding, np.eye(n_classes)[labels]]).astype(np.float32)
    mean, spread = features[~heldout].mean(axis=0), features[~heldout].std(axis=0)
    features = (features - mean) / np.where(spread > 0, spread, 1)
    centre, scale = target[~heldout].mean(), target[~heldout].std() or 1.0
    scaled = ((target - centre) / scale).astype(np.float32)
    network = _network(features.shape[1], settings)
    errors = _train(network, features, scaled, heldout, settings) * scale
    curves = pd.DataFrame(
        {"epoch": np.arange(1, settings.epochs + 1), "train_mae": errors[:, 0], "heldout_mae": errors[:, 1]}
    )
    predicted = network(features).numpy()[:, 0] * scale + centre
    summary = {"n_train": int((~heldout).sum()), "n_heldout": int(heldout.sum())}
    for name, rows in (("train", ~heldout), ("heldout", heldout)):
        summary[f"{name}_mae"] = float(np.mean(np.abs(predicted[rows] - target[rows])))
        enough = rows.sum() > 2 and np.ptp(predicted[rows]) > 0
        summary[f"{name}_pearson"] = float(stats.pearsonr(predicted[rows], target[rows]).statistic) if enough else None
    # the best constant under MAE, learned from the training rows: what the network has to beat
    summary["heldout_mae_of_training_median"] = float(np.mean(np.abs(np.median(target[~heldout]) - target[heldout])))
    return curves, predicted, heldout, summary
