"""The table every estimator's job writes: one row per training point with its predicted change."""

import logging

import numpy as np
import pandas as pd

from influential.core.names import PREDICTED
from influential.data.splits import Split

log = logging.getLogger(__name__)


def table(train: Split, estimator: str, test: str, change: np.ndarray) -> pd.DataFrame:
    """One estimator's predicted loss changes for one test point, one row per training point."""
    return pd.DataFrame(
        {
            "estimator": estimator,
            "test": test,
            "train_position": np.arange(len(train)),
            "train_index": train.index,
            "label": train.y,
            PREDICTED: change,
        }
    )


def for_test_point(estimator, name: str, point: dict, dataset, objective) -> tuple[pd.DataFrame, dict]:
    """An estimator's predicted changes of one test point's objective (`point`: its record, test_points/{test}.json),
    as the influence table and the solve's diagnostics."""
    position = point["test_position"]
    change = estimator.change_if_removed(dataset.test.x[[position]], dataset.test.y[[position]], objective)[0]
    log.info(
        "%s on %s: predicted changes of its %s from %.3g to %.3g",
        *(name, point["test"], point["objective_label"], change.min(), change.max()),
    )
    return table(dataset.train, name, point["test"], change), {"test": point["test"], **estimator.diagnostics[0]}
