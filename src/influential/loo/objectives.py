"""A test point's objective (other than its loss) on every stored leave-one-out model: retraining chunks and refits
keep each model's parameters, so a new objective is measured, never retrained. `gather` reads these tables."""

from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ["model", "train_position", "table", "value"]  # a row per stored model; `table`: its file's stem


def on_models(objective, x: np.ndarray, y: np.ndarray, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The objective (testpoints.cross_loss.BoundObjective) of the test example (x, y: one row) under every model
    of every stored table (by its path: the models' `model`, `train_position` and `theta`)."""
    frames = [
        table[["model", "train_position"]].assign(
            table=Path(path).stem, value=objective.evaluate(np.stack(table["theta"].to_numpy()), x, y)[:, 0]
        )
        for path, table in tables.items()
    ]
    return pd.concat(frames, ignore_index=True)[COLUMNS]
