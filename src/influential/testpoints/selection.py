"""Choosing the test points to explain: explicit indices, or rules such as "the first misclassified 6", resolved
against the trained model's predictions on the test split (training.predictions)."""

import numpy as np
import pandas as pd

from influential.core.errors import InputError


class SelectionError(InputError):
    """A test-point rule that cannot be satisfied; the message names the test point."""


def _position(spec: dict, predictions: pd.DataFrame) -> int:
    where = f"test_points.{spec['name']}"
    rule = spec["select"]
    if rule == "index":
        if not 0 <= spec["index"] < len(predictions):
            raise SelectionError(f"{where}: index {spec['index']} outside the test split (0..{len(predictions) - 1})")
        return int(spec["index"])
    if rule == "original_index":
        hits = np.flatnonzero(predictions["original_index"].to_numpy() == spec["index"])
        if len(hits) == 0:
            raise SelectionError(f"{where}: source index {spec['index']} is not in the test split")
        return int(hits[0])
    label, labels = spec["label"], predictions["label"].to_numpy()
    wanted_correct = rule.endswith("_correct")
    correct = predictions["predicted"].to_numpy() == labels
    candidates = np.flatnonzero((labels == label) & (correct == wanted_correct))
    if len(candidates) == 0:
        kind = "correctly classified" if wanted_correct else "misclassified"
        raise SelectionError(
            f"{where}: no {kind} test example of class {label} among {np.count_nonzero(labels == label)}"
        )
    if rule.startswith("first_"):
        return int(candidates[0])
    return int(np.random.default_rng(spec["seed"]).choice(candidates))


def resolve(spec: dict, predictions: pd.DataFrame) -> dict:
    """One configured test point: where it is in the test split, what it is, what the model makes of it."""
    row = predictions.iloc[_position(spec, predictions)]
    return {
        "test": spec["name"],
        "test_position": int(row["position"]),
        "original_index": int(row["original_index"]),
        "label": int(row["label"]),
        "predicted": int(row["predicted"]),
        "loss": float(row["loss"]),
        "select": spec["select"],
    }
