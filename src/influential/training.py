"""Fitting the models: scikit-learn's lbfgs for logistic regression, minibatch Adam for the all-CNN."""

import logging
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from influential import hessian, models

log = logging.getLogger(__name__)


def fit_logistic(model, x: np.ndarray, y: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, dict]:
    """Fit with lbfgs as the thesis did; returns theta = [w, b] (float64) and solver facts."""
    if len(np.unique(y)) != 2:
        raise ValueError(f"logistic regression needs both classes in the training labels, got {np.unique(y)}")
    classifier = LogisticRegression(C=model.C, solver="lbfgs", tol=tol, max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(x.reshape(len(x), -1), y)
    n_iter = int(classifier.n_iter_[0])
    theta = np.concatenate([classifier.coef_.ravel(), classifier.intercept_]).astype(np.float64)
    return theta, {"n_iter": n_iter, "converged": n_iter < max_iter}


class TrainingError(RuntimeError):
    """Training diverged or produced non-finite values; the message says at which step."""


@dataclass(frozen=True)
class AdamSettings:
    """Minibatch Adam with a step-wise learning-rate schedule (Koh & Liang: 1e-4, x0.1 at 110k, x0.01 at 220k)."""

    steps: int
    batch_size: int
    learning_rate: float
    schedule: tuple[tuple[int, float], ...] = ()
    seed: int = 0
    log_every: int = 1000

    @classmethod
    def from_config(cls, training: dict) -> "AdamSettings":
        schedule = tuple((int(d["step"]), float(d["factor"])) for d in training["schedule"])
        return cls(
            training["steps"],
            training["batch_size"],
            training["learning_rate"],
            schedule,
            training["seed"],
            training["log_every"],
        )

    def learning_rate_at(self, step: int) -> float:
        """Rate for the update that follows `step` completed updates."""
        factor = 1.0
        for start, f in self.schedule:
            if step >= start:
                factor = f
        return self.learning_rate * factor


@dataclass(frozen=True)
class AdamState:
    """TensorFlow 1's AdamOptimizer state (beta1 0.9, beta2 0.999, epsilon 1e-8), as Koh & Liang trained with."""

    m: np.ndarray
    v: np.ndarray
    step: int

    BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-8

    @classmethod
    def zeros_like(cls, theta: np.ndarray) -> "AdamState":
        return cls(np.zeros_like(theta), np.zeros_like(theta), 0)


def adam_update(theta, m, v, step, gradient, learning_rate):
    """One TF1-style Adam update; works on a flat vector or a stack of them. `step` counts completed updates."""
    b1, b2, eps = AdamState.BETA1, AdamState.BETA2, AdamState.EPSILON
    t = tf.cast(step + 1, theta.dtype)
    m = b1 * m + (1 - b1) * gradient
    v = b2 * v + (1 - b2) * tf.square(gradient)
    rate = learning_rate * tf.sqrt(1 - b2**t) / (1 - b1**t)
    return theta - rate * m / (tf.sqrt(v) + eps), m, v


def minibatches(n: int, batch_size: int, seed: int) -> Iterator[np.ndarray]:
    """Endless minibatch indices: a fresh permutation per epoch, a short remainder dropped (as Koh's DataSet)."""
    if batch_size > n:
        raise ValueError(f"training.batch_size {batch_size} is larger than the {n} training examples")
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(n)
        for start in range(0, n - batch_size + 1, batch_size):
            yield order[start : start + batch_size]


def objective_step(model):
    """A compiled Adam step on mean loss + regulariser over one minibatch of (x_all, y_all)."""

    @tf.function
    def step(theta, m, v, t, x_all, y_all, batch, learning_rate):
        xb, yb = tf.gather(x_all, batch), tf.gather(y_all, batch)
        with tf.GradientTape() as tape:
            tape.watch(theta)
            objective = tf.reduce_mean(model.loss(theta, xb, yb)) + model.regularizer(theta)
        theta, m, v = adam_update(theta, m, v, t, tape.gradient(objective, theta), learning_rate)
        return theta, m, v, objective

    return step


def evaluate(model, theta: np.ndarray, split) -> dict:
    if len(split) == 0:
        return {"loss": float("nan"), "accuracy": float("nan")}
    losses = model.losses(theta, split.x, split.y)
    return {"loss": float(np.mean(losses)), "accuracy": accuracy(model, theta, split.x, split.y)}


def fit_adam(
    model, dataset, settings: AdamSettings, theta: np.ndarray, state: AdamState
) -> tuple[np.ndarray, AdamState, pd.DataFrame]:
    """Continue Adam from (theta, state) for settings.steps updates; log every settings.log_every."""
    tf.config.experimental.enable_op_determinism()  # the same inputs give the same weights, run after run
    x_all, y_all = tf.constant(dataset.train.x), tf.constant(dataset.train.y)
    step_fn = objective_step(model)
    batches = minibatches(len(dataset.train), settings.batch_size, settings.seed)
    theta_t, m, v = tf.constant(theta), tf.constant(state.m), tf.constant(state.v)
    rows, started = [], time.perf_counter()
    for done in range(state.step, state.step + settings.steps):
        rate = settings.learning_rate_at(done)
        theta_t, m, v, objective = step_fn(
            theta_t, m, v, tf.constant(done), x_all, y_all, next(batches), tf.constant(rate, theta_t.dtype)
        )
        completed = done + 1
        if completed % settings.log_every == 0 or completed == state.step + settings.steps:
            current = theta_t.numpy()
            if not np.all(np.isfinite(current)):
                raise TrainingError(f"step {completed}: parameters are not finite; lower training.learning_rate")
            row = {
                "step": completed,
                "learning_rate": rate,
                "minibatch_objective": float(objective),
                **{
                    f"{name}_{k}": val
                    for name in ("train", "validation")
                    for k, val in evaluate(model, current, getattr(dataset, name)).items()
                },
                "seconds": time.perf_counter() - started,
            }
            rows.append(row)
            log.info(
                "step %d of %d: train loss %.4f acc %.4f, validation loss %.4f acc %.4f (%.0f s)",
                completed,
                state.step + settings.steps,
                row["train_loss"],
                row["train_accuracy"],
                row["validation_loss"],
                row["validation_accuracy"],
                row["seconds"],
            )
            if not np.isfinite(row["train_loss"]):
                raise TrainingError(f"step {completed}: training loss is {row['train_loss']}; training diverged")
    return theta_t.numpy(), AdamState(m.numpy(), v.numpy(), state.step + settings.steps), pd.DataFrame(rows)


def accuracy(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(model.predict(theta, x) == y)) if len(y) else float("nan")


@dataclass(frozen=True)
class Trained:
    model: object
    theta: np.ndarray
    log: pd.DataFrame  # solver facts (logistic regression) or one row per logging interval (Adam)
    summary: dict  # objective, gradient norm and accuracies at the final parameters
    optimizer: AdamState | None  # what warm-started retraining needs to continue exactly where training stopped


def train(model_config: dict, training_config: dict, dataset) -> Trained:
    """Fit an experiment's model."""
    model = models.for_dataset(model_config, dataset)
    train_split = dataset.train
    log.info("fitting %s (%d parameters) on %d examples", model.kind, model.n_params, len(train_split))
    if model.kind == "logistic_regression":
        theta, info = fit_logistic(
            model, train_split.x, train_split.y, training_config["tol"], training_config["max_iter"]
        )
        if not info["converged"]:
            log.warning("lbfgs stopped at max_iter=%d before reaching tol", training_config["max_iter"])
        state, table = None, pd.DataFrame([info])
    else:
        settings = AdamSettings.from_config(training_config)
        theta0 = model.initial_params(settings.seed)
        theta, state, table = fit_adam(model, dataset, settings, theta0, AdamState.zeros_like(theta0))
    gradient = hessian.objective_gradient(model, theta, train_split.x, train_split.y)
    summary = {
        "objective": float(
            np.mean(model.losses(theta, train_split.x, train_split.y)) + model.regularizer(tf.constant(theta)).numpy()
        ),
        "gradient_norm": float(np.linalg.norm(gradient)),
        **{
            f"{name}_accuracy": accuracy(model, theta, getattr(dataset, name).x, getattr(dataset, name).y)
            for name in dataset.SPLITS
        },
    }
    log.info("trained: %s", summary)
    return Trained(model, theta, table, summary, state)
