"""Fitting the models: scikit-learn's lbfgs for logistic regression."""

import logging
import warnings

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


def accuracy(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(model.predict(theta, x) == y)) if len(y) else float("nan")


def train(model_config: dict, training_config: dict, dataset) -> tuple[object, np.ndarray, pd.DataFrame]:
    """Fit an experiment's model; returns the model, its parameters and a one-row training log."""
    model = models.for_dataset(model_config, dataset.train.x)
    train = dataset.train
    log.info("fitting %s on %d examples with %d features", model.kind, len(train), model.n_features)
    theta, info = fit_logistic(model, train.x, train.y, training_config["tol"], training_config["max_iter"])
    gradient = hessian.objective_gradient(model, theta, train.x, train.y)
    summary = {
        **info,
        "objective": float(
            np.mean(model.losses(theta, train.x, train.y)) + model.regularizer(tf.constant(theta)).numpy()
        ),
        "gradient_norm": float(np.linalg.norm(gradient)),
        **{
            f"{name}_accuracy": accuracy(model, theta, getattr(dataset, name).x, getattr(dataset, name).y)
            for name in dataset.SPLITS
        },
    }
    log.info("fit: %s", summary)
    if not info["converged"]:
        log.warning("lbfgs stopped at max_iter=%d before reaching tol", training_config["max_iter"])
    return model, theta, pd.DataFrame([summary])
