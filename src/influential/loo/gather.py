"""The leave-one-out models' test losses as actual influence on each test point."""

import numpy as np
import pandas as pd

from influential.names import ACTUAL, RAW


def gather(tables: dict[str, pd.DataFrame], test_points: pd.DataFrame, selected: pd.DataFrame | None) -> pd.DataFrame:
    """Actual influence of every left-out point on every test point, one row each.

    Each table (a retraining chunk, or the logistic refits) holds one row per model with its loss on every test
    example. With a control (retraining) ACTUAL is paired, against the control, and RAW is against the checkpoint;
    without one (refits) ACTUAL is against the checkpoint, the original fit. `selected` (retraining) lists the points
    chosen for each test point, and `selected` in the result says whether a point is among its test point's own
    (or was retrained for another); refits cover every point for every test point (`selected` None).
    """
    frames = []
    for name, table in sorted(tables.items()):
        losses = np.stack(table["test_losses"].to_numpy())[:, test_points["test_position"].to_numpy()]
        model = table["model"].to_numpy()
        checkpoint = losses[model == "checkpoint"][0]
        control = losses[model == "control"][0] if np.any(model == "control") else None
        left = model == "left_out"
        rows = table.loc[left].drop(columns=["model", "test_losses"]).assign(chunk=name)
        for j, test in enumerate(test_points["test"]):
            loss = losses[left, j]
            if control is None:
                changes = {ACTUAL: loss - checkpoint[j]}
            else:
                changes = {RAW: loss - checkpoint[j], ACTUAL: loss - control[j]}
            frames.append(rows.assign(test=test, test_loss=loss, **changes))
    table = pd.concat(frames, ignore_index=True).drop_duplicates(["train_position", "test"], keep="first")
    if selected is None:
        table["selected"] = True
    else:
        chosen = selected[["train_position", "test"]].assign(selected=True)
        table = table.merge(chosen, on=["train_position", "test"], how="left")
        table["selected"] = table["selected"].astype("boolean").fillna(False).astype(bool)
    return table.sort_values(["test", "train_position"], ignore_index=True)
