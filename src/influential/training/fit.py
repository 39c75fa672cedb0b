"""Fitting the models: scikit-learn's lbfgs for logistic regression, minibatch Adam (adam.run) for the all-CNN."""

import logging
import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from influential import models
from influential.core.errors import InputError, TrainingError
from influential.core.names import LOGISTIC_REGRESSION, PREDICTIONS
from influential.derivatives.gradients import objective_gradient
from influential.training.optimizer import AdamSettings, AdamState
from influential.training.trajectory import Trajectory

log = logging.getLogger(__name__)


def fit_logistic(
    model, x: np.ndarray, y: np.ndarray, tol: float, max_iter: int, start: np.ndarray | None = None
) -> tuple[np.ndarray, dict]:
    """Fit with lbfgs as the thesis did, from zero or from `start` (parameters of this model); returns
    theta = [weights, intercepts] (float64) and solver facts."""
    if not np.array_equal(np.unique(y), np.arange(model.n_classes)):
        raise InputError(
            f"logistic regression needs every class 0..{model.n_classes - 1} in the training labels, got {np.unique(y)}"
        )
    classifier = LogisticRegression(C=model.C, solver="lbfgs", tol=tol, max_iter=max_iter, warm_start=start is not None)
    if start is not None:
        classifier.coef_ = start[: model.n_weights].reshape(model.n_logits, model.n_features)
        classifier.intercept_ = start[model.n_weights :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(x.reshape(len(x), -1).astype(np.float64), y)  # float32 inputs would fit in float32
    n_iter = int(classifier.n_iter_[0])
    theta = np.concatenate([classifier.coef_.ravel(), classifier.intercept_]).astype(np.float64)
    return theta, {"n_iter": n_iter, "converged": n_iter < max_iter}


def evaluate(model, theta: np.ndarray, split) -> dict:
    if len(split) == 0:
        return {"loss": float("nan"), "accuracy": float("nan")}
    losses = model.losses(theta, split.x, split.y)
    classified = accuracy(model, theta, split.x, split.y) if model.n_classes else float("nan")  # a Skip-gram's: none
    return {"loss": float(np.mean(losses)), "accuracy": classified}


def fit_adam(
    model, dataset, settings: AdamSettings, theta: np.ndarray, state: AdamState
) -> tuple[np.ndarray, AdamState, pd.DataFrame, Trajectory]:
    """Continue Adam from (theta, state) for settings.steps updates; log every settings.log_every and record the
    trajectory every settings.checkpoint_every (and at the start and the end)."""
    from influential.training import adam  # TensorFlow: loaded by the models Adam trains, not by logistic regression

    rows, started, last = [], time.perf_counter(), state.step + settings.steps
    records = [(state.step, theta, state.m, state.v)]

    def report(step: int, current: AdamState, thetas: np.ndarray) -> None:
        if not np.all(np.isfinite(thetas)):
            raise TrainingError(f"step {step}: parameters are not finite; lower training.learning_rate")
        if (step - state.step) % settings.checkpoint_every == 0 or step == last:
            records.append((step, thetas[0], current.m[0], current.v[0]))
        if (step - state.step) % settings.log_every and step != last:
            return
        row = {
            "step": step,
            "learning_rate": settings.learning_rate_at(step - 1),
            **{
                f"{name}_{k}": val
                for name in ("train", "validation")
                for k, val in evaluate(model, thetas[0], getattr(dataset, name)).items()
            },
            "seconds": time.perf_counter() - started,
        }
        rows.append(row)
        log.info(
            "step %d of %d: train loss %.4f acc %.4f, validation loss %.4f acc %.4f (%.0f s)",
            step,
            last,
            row["train_loss"],
            row["train_accuracy"],
            row["validation_loss"],
            row["validation_accuracy"],
            row["seconds"],
        )
        if not np.isfinite(row["train_loss"]):
            raise TrainingError(f"step {step}: training loss is {row['train_loss']}; training diverged")

    thetas, stacked = adam.run(
        model,
        theta[None],
        AdamState(state.m[None], state.v[None], state.step),
        dataset.train.x,
        dataset.train.y,
        [adam.NOTHING_LEFT_OUT],
        settings.batch_size,
        settings.seed,
        settings.steps,
        settings.learning_rate_at,
        report,
        math.gcd(settings.log_every, settings.checkpoint_every),
    )
    steps, record_thetas, m, v = (np.stack(column) for column in zip(*records, strict=True))
    rates = np.array([settings.learning_rate_at(t) for t in range(state.step, last)])
    trajectory = Trajectory(steps, record_thetas, m, v, rates, settings.batch_size, settings.seed)
    return thetas[0], AdamState(stacked.m[0], stacked.v[0], stacked.step), pd.DataFrame(rows), trajectory


def fit_adam_from_scratch(
    model, dataset, training: dict, seed: int
) -> tuple[np.ndarray, AdamState, pd.DataFrame, Trajectory]:
    """Adam from the model's initialisation for `seed`, with training's settings (`training`, its config) but that
    seed for the initialisation and the minibatch order: what training, TRAK's ensemble and the LDS's subset models
    run."""
    settings = AdamSettings.from_config(training | {"seed": seed})
    theta0 = model.initial_params(seed)
    return fit_adam(model, dataset, settings, theta0, AdamState.zeros_like(theta0))


def accuracy(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(model.predict(theta, x) == y)) if len(y) else float("nan")


def predictions(model, theta: np.ndarray, split) -> pd.DataFrame:
    """The model on every example of a split (names.PREDICTIONS): position, source index, label, predicted
    class and loss."""
    columns = (
        np.arange(len(split)),
        split.index,
        split.y,
        model.predict(theta, split.x),
        model.losses(theta, split.x, split.y),
    )
    return pd.DataFrame(dict(zip(PREDICTIONS, columns, strict=True)))


@dataclass(frozen=True)
class Trained:
    model: object
    theta: np.ndarray
    log: pd.DataFrame  # solver facts (logistic regression) or one row per logging interval (Adam)
    summary: dict  # objective, gradient norm and accuracies at the final parameters
    optimizer: AdamState | None  # what warm-started retraining needs to continue exactly where training stopped
    trajectory: Trajectory  # Adam's path (TracIn, HYDRA); a solver's fit: its end point only
    test_predictions: pd.DataFrame  # what the chosen test points are picked from


def train(model_config: dict, training_config: dict, dataset) -> Trained:
    """Fit an experiment's model."""
    model = models.for_dataset(model_config, dataset)
    train_split = dataset.train
    log.info("fitting %s (%d parameters) on %d examples", model.kind, model.n_params, len(train_split))
    if model.kind == LOGISTIC_REGRESSION:
        theta, info = fit_logistic(
            model, train_split.x, train_split.y, training_config["tol"], training_config["max_iter"]
        )
        if not info["converged"]:
            log.warning("lbfgs stopped at max_iter=%d before reaching tol", training_config["max_iter"])
        state, table = None, pd.DataFrame([info])
        end = AdamState.zeros_like(theta[None])
        trajectory = Trajectory(np.array([info["n_iter"]]), theta[None], end.m, end.v, np.zeros(0), len(train_split), 0)
    else:
        theta, state, table, trajectory = fit_adam_from_scratch(
            model, dataset, training_config, training_config["seed"]
        )
    gradient = objective_gradient(model, theta, train_split.x, train_split.y)
    test = predictions(model, theta, dataset.test)
    summary = {
        "objective": float(np.mean(model.losses(theta, train_split.x, train_split.y)) + model.regularizer_value(theta)),
        "gradient_norm": float(np.linalg.norm(gradient)),
        "train_accuracy": accuracy(model, theta, train_split.x, train_split.y),
        "validation_accuracy": accuracy(model, theta, dataset.validation.x, dataset.validation.y),
        "test_accuracy": float(np.mean(test["predicted"] == test["label"])) if len(test) else float("nan"),
    }
    log.info("trained: %s", summary)
    return Trained(model, theta, table, summary, state, trajectory, test)
