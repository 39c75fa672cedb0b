"""The table every estimator's job writes: one row per training point with its predicted change."""

import numpy as np
import pandas as pd

from influential.core.names import PREDICTED
from influential.data.splits import Split


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
