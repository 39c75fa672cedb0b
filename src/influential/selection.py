"""Choosing the test points to explain: explicit indices, or rules such as "the first misclassified 6"."""

import numpy as np
import pandas as pd

from influential.data import Split


class SelectionError(ValueError):
    """A test-point rule that cannot be satisfied; the message names the test point."""


def _position(spec: dict, split: Split, predicted: np.ndarray) -> int:
    where = f"test_points.{spec['name']}"
    rule = spec["select"]
    if rule == "index":
        if not 0 <= spec["index"] < len(split):
            raise SelectionError(f"{where}: index {spec['index']} outside the test split (0..{len(split) - 1})")
        return int(spec["index"])
    if rule == "original_index":
        hits = np.flatnonzero(split.index == spec["index"])
        if len(hits) == 0:
            raise SelectionError(f"{where}: source index {spec['index']} is not in the test split")
        return int(hits[0])
    label = spec["label"]
    wanted_correct = rule.endswith("_correct")
    candidates = np.flatnonzero((split.y == label) & ((predicted == split.y) == wanted_correct))
    if len(candidates) == 0:
        kind = "correctly classified" if wanted_correct else "misclassified"
        raise SelectionError(
            f"{where}: no {kind} test example of class {label} among {np.count_nonzero(split.y == label)}"
        )
    if rule.startswith("first_"):
        return int(candidates[0])
    return int(np.random.default_rng(spec["seed"]).choice(candidates))


def select(specs: list[dict], model, theta: np.ndarray, split: Split) -> pd.DataFrame:
    """One row per configured test point: where it is, what it is, what the model makes of it."""
    predicted, losses = model.predict(theta, split.x), model.losses(theta, split.x, split.y)
    rows = []
    for spec in specs:
        position = _position(spec, split, predicted)
        rows.append(
            {
                "test": spec["name"],
                "test_position": position,
                "original_index": int(split.index[position]),
                "label": int(split.y[position]),
                "predicted": int(predicted[position]),
                "loss": float(losses[position]),
                "select": spec["select"],
            }
        )
    return pd.DataFrame(rows)
