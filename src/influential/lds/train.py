"""A chunk's models: each of its subsets' model trained as the experiment's model was, on that subset alone
(logistic regression: refitted by the same solver; the all-CNN: from scratch with training's schedule, once per
training seed), with its parameters and its loss on every test example, so that a new test point or objective is
evaluated on the stored models, never retrained."""

import logging
from dataclasses import replace

import numpy as np
import pandas as pd

from influential.core.names import LOGISTIC_REGRESSION
from influential.lds.subsets import Chunk, masks
from influential.training.fit import fit_adam_from_scratch, fit_logistic

log = logging.getLogger(__name__)


def train_chunk(model, dataset, training: dict, chunk: Chunk, seeds: int) -> pd.DataFrame:
    """One row per (subset, training seed) of `chunk`: `subset`, `fraction`, `seed` (training's seed + r for the
    r-th of `seeds` runs; logistic regression has one run, its fit being unique), the subset's `mask`, `theta` and
    `test_losses`."""
    held = masks(len(dataset.train), chunk.fraction, chunk.seed, range(chunk.first, chunk.stop))
    runs = 1 if model.kind == LOGISTIC_REGRESSION else seeds
    rows = []
    for j, mask in zip(range(chunk.first, chunk.stop), held, strict=True):
        subset = dataset.train.take(np.flatnonzero(mask))
        for r in range(runs):
            theta, facts = _fit(model, replace(dataset, train=subset), training, r)
            rows.append(
                {"subset": j, "fraction": chunk.fraction, "seed": facts.pop("seed"), "mask": mask}
                | {"theta": theta, "test_losses": model.losses(theta, dataset.test.x, dataset.test.y)}
                | facts
            )
        log.info("lds chunk %s: subset %d of %d-%d trained", chunk.name, j, chunk.first, chunk.stop - 1)
    return pd.DataFrame(rows)


def _fit(model, dataset, training: dict, run: int) -> tuple[np.ndarray, dict]:
    if model.kind == LOGISTIC_REGRESSION:
        theta, facts = fit_logistic(model, dataset.train.x, dataset.train.y, training["tol"], training["max_iter"])
        return theta, facts | {"seed": -1}
    seed = training["seed"] + run
    theta, _, table, _ = fit_adam_from_scratch(model, dataset, training, seed)
    return theta, {"seed": seed, "final_train_loss": float(table["train_loss"].iloc[-1])}
