"""The leave-one-out models' test losses (or values of another test objective) as actual influence on each test
point."""

import numpy as np
import pandas as pd

from influential.core.io import CorruptFileError
from influential.core.names import ACTUAL, RAW


def gather(
    tables: dict[str, pd.DataFrame],
    test_points: pd.DataFrame,
    selected: pd.DataFrame | None,
    objectives: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Actual influence of every left-out point on every test point, one row each.

    Each table (a retraining chunk, or the logistic refits) holds one row per model with its loss on every test
    example. With a control (retraining) ACTUAL is paired, against the control, and RAW is against the checkpoint;
    without one (refits) ACTUAL is against the checkpoint, the original fit. A test point with another objective
    than its loss has its values on every stored model in `objectives` (test -> loo.objectives.on_models' table).
    `selected` (retraining) lists the points chosen for each test point, and `selected` in the result says whether
    a point is among its test point's own (or was retrained for another); a test point that chose none (another
    objective) and refits (`selected` None) take every model.
    """
    objectives = objectives or {}
    values = {}
    for name, table in tables.items():
        losses = np.stack(table["test_losses"].to_numpy())  # float32 as stored; the objectives' values are float64
        values[name] = losses[:, test_points["test_position"].to_numpy()].astype(np.float64)
        for j, test in enumerate(test_points["test"]):
            if test in objectives:
                values[name][:, j] = _objective_values(objectives[test], name, table)
    return changes(tables, values, list(test_points["test"]), selected)


def changes(
    tables: dict[str, pd.DataFrame], values: dict[str, np.ndarray], tests: list[str], selected: pd.DataFrame | None
) -> pd.DataFrame:
    """Actual changes of every test objective from its `values` (table name -> (models, tests)) on each table's
    models (rows `model`: left_out, control where retrained, checkpoint), as `gather` describes."""
    frames = []
    for name, table in sorted(tables.items()):
        model = table["model"].to_numpy()
        checkpoint = values[name][model == "checkpoint"][0]
        control = values[name][model == "control"][0] if np.any(model == "control") else None
        left = model == "left_out"
        rows = table.loc[left].drop(columns=["model", "test_losses", "theta"], errors="ignore").assign(chunk=name)
        for j, test in enumerate(tests):
            value = values[name][left, j]
            if control is None:
                measured = {ACTUAL: value - checkpoint[j]}
            else:
                measured = {RAW: value - checkpoint[j], ACTUAL: value - control[j]}
            frames.append(rows.assign(test=test, test_value=value, **measured))
    table = pd.concat(frames, ignore_index=True).drop_duplicates(["train_position", "test"], keep="first")
    if selected is None:
        table["selected"] = True
    else:
        chosen = selected[["train_position", "test"]].assign(selected=True)
        table = table.merge(chosen, on=["train_position", "test"], how="left")
        chose_none = ~table["test"].isin(set(selected["test"]))
        table["selected"] = table["selected"].astype("boolean").fillna(False).astype(bool) | chose_none
    return table.sort_values(["test", "train_position"], ignore_index=True)


def _objective_values(values: pd.DataFrame, name: str, table: pd.DataFrame) -> np.ndarray:
    """One table's models' values of a test objective, in the table's row order."""
    own = values[values["table"] == name]
    if own[["model", "train_position"]].to_numpy().tolist() != table[["model", "train_position"]].to_numpy().tolist():
        raise CorruptFileError(
            f"the test objective's values do not match the models of {name}; delete loo/objectives and rerun snakemake"
        )
    return own["value"].to_numpy()
