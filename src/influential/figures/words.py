"""Figures of the word-embedding experiments: each estimator's predicted change of each objective against the change
measured by retraining without the unit. TensorFlow-free."""

import numpy as np
import pandas as pd

from influential.core.names import ACTUAL, EVALUATIONS, PREDICTED
from influential.figures import theme


def predicted_vs_actual(predicted: pd.DataFrame, actual: pd.DataFrame, agreement: pd.DataFrame):
    """A panel per objective: every retrained unit's predicted change (per estimator, linear and shifted) against
    its paired measured change, with each prediction's Pearson r in the legend."""
    objectives = list(dict.fromkeys(actual["test"]))
    fig, axes = theme.subplots(1, len(objectives), figsize=(5.2 * len(objectives), 4.8), squeeze=False)
    chosen = actual[actual["selected"]][["test", "train_position", ACTUAL]]
    joined = predicted.merge(chosen, on=["test", "train_position"])
    variants = [(e, ev) for e in dict.fromkeys(predicted["estimator"]) for ev in EVALUATIONS]
    colours = dict(zip(variants, theme.palette(len(variants)), strict=True))
    for ax, objective in zip(axes[0], objectives, strict=True):
        rows = joined[joined["test"] == objective]
        for (estimator, evaluation), column in ((v, EVALUATIONS[v[1]]) for v in variants):
            part = rows[rows["estimator"] == estimator]
            if part[column].isna().all():
                continue
            r = agreement[
                (agreement["estimator"] == estimator)
                & (agreement["evaluation"] == evaluation)
                & (agreement["objective"] == objective)
                & (agreement["actual"] == "paired")
            ]["pearson"]
            label = f"{estimator} ({evaluation}), r = {r.iloc[0]:.3f}" if len(r) else f"{estimator} ({evaluation})"
            ax.scatter(part[column], part[ACTUAL], s=22, alpha=0.75, color=colours[estimator, evaluation], label=label)
        values = rows[[PREDICTED, ACTUAL]].to_numpy()
        low, high = np.nanmin(values), np.nanmax(values)
        ax.plot([low, high], [low, high], "k--", linewidth=0.8)
        ax.axhline(0, color="0.7", linewidth=0.6)
        ax.axvline(0, color="0.7", linewidth=0.6)
        ax.set(title=objective, xlabel="predicted change if left out", ylabel="actual change (paired)")
        ax.legend(fontsize=7, loc="upper left")
    return fig
