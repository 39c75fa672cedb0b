"""Figures of the word-embedding experiments: each estimator's predicted change of each objective against the change
measured by retraining without the unit or the set, the objective against the number of units removed, and the
objective's words before and after a removal. TensorFlow-free."""

import numpy as np
import pandas as pd
import scipy.linalg

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
        _diagonal(ax, rows[[PREDICTED, ACTUAL]].to_numpy(), objective, "left out", "actual change (paired)")
    return fig


def group_predicted_vs_actual(table: pd.DataFrame, agreement: pd.DataFrame):
    """A panel per objective: every removed set's predicted change (per estimator and evaluation) against its actual
    change, the mean over seeds with their spread as error bars, for each retraining protocol (from scratch: dots;
    warm-started: crosses), each prediction's Pearson r in the legend."""
    objectives = list(dict.fromkeys(table["objective"]))
    fig, axes = theme.subplots(1, len(objectives), figsize=(5.2 * len(objectives), 4.8), squeeze=False)
    variants = list(dict.fromkeys(zip(table["estimator"], table["evaluation"], strict=True)))
    colours = dict(zip(variants, theme.palette(len(variants)), strict=True))
    markers = {"reset": "o", "warm_start": "x"}
    for ax, objective in zip(axes[0], objectives, strict=True):
        for (estimator, evaluation, protocol), part in table[table["objective"] == objective].groupby(
            ["estimator", "evaluation", "protocol"], sort=False
        ):
            r = agreement.set_index(["estimator", "evaluation", "objective", "protocol"]).loc[
                (estimator, evaluation, objective, protocol), "pearson"
            ]
            ax.errorbar(
                part[PREDICTED],
                part["actual_mean"],
                yerr=part["actual_std"],
                fmt=markers.get(protocol, "s"),
                markersize=5,
                alpha=0.75,
                color=colours[estimator, evaluation],
                label=f"{estimator} ({evaluation}), {protocol}, r = {r:.3f}",
            )
        values = table.loc[table["objective"] == objective, [PREDICTED, "actual_mean"]].to_numpy()
        _diagonal(ax, values, objective, "the set is removed", "actual change (mean)")
    return fig


def objective_against_size(actual: pd.DataFrame, sets: pd.DataFrame):
    """A panel per objective that sets were chosen for: its value after removing the k units predicted to raise it
    most, to lower it most, and random sets of k, against k (0: the controls), mean and spread over seeds (and the
    random sets), from scratch (solid) and warm-started (dashed)."""
    chosen = [o for o in dict.fromkeys(sets["selected_by"]) if o]
    fig, axes = theme.subplots(1, len(chosen), figsize=(5.2 * len(chosen), 4.4), squeeze=False)
    joined = actual.merge(sets[["set", "selected_by", "direction", "size"]], on="set")
    colours = dict(zip(("increase", "decrease", "random"), theme.palette(3), strict=True))
    for ax, objective in zip(axes[0], chosen, strict=True):
        rows = joined[(joined["objective"] == objective) & joined["selected_by"].isin([objective, ""])]
        for protocol, by_protocol in rows.groupby("protocol", sort=False):
            control = (by_protocol["value"] - by_protocol[ACTUAL]).groupby(by_protocol["seed"]).first()
            for direction, part in by_protocol.groupby("direction", sort=False):
                curve = part.groupby("size")["value"].agg(["mean", "std"]).fillna(0.0)
                k = np.append(0, curve.index.to_numpy())
                mean = np.append(control.mean(), curve["mean"].to_numpy())
                spread = np.append(control.std(ddof=1) if len(control) > 1 else 0.0, curve["std"].to_numpy())
                style = "-" if protocol == "reset" else "--"
                label = f"{direction}, {'from scratch' if protocol == 'reset' else 'warm start'}"
                ax.plot(k, mean, style, marker="o", markersize=4, color=colours[direction], label=label)
                ax.fill_between(k, mean - spread, mean + spread, color=colours[direction], alpha=0.15)
        ax.set(title=objective, xlabel="units removed (k)", ylabel=f"{objective} after removal")
        ax.legend(fontsize=7)
    return fig


def words_before_after(
    before: np.ndarray, after: np.ndarray, rows: list[int], words: list[str], roles: list[str], title: str
):
    """The objective's words (`rows` of the vocabulary's vectors `before` and `after`, (V, d)) in two dimensions: unit
    vectors (as cosines see them), `after` rotated onto `before` over the whole vocabulary (orthogonal Procrustes:
    a retrained model is only defined up to a rotation), then the principal axes of the words before and after
    together; an arrow from each word's place in the control model to its place once the set is removed."""
    before, after = (m / np.linalg.norm(m, axis=1, keepdims=True) for m in (before, after))
    rotation, _ = scipy.linalg.orthogonal_procrustes(after, before)
    both = np.vstack([before[rows], (after @ rotation)[rows]])
    centred = both - both.mean(0)
    axes_2d = np.linalg.svd(centred, full_matrices=False)[2][:2]
    flat = centred @ axes_2d.T
    start, end = flat[: len(rows)], flat[len(rows) :]
    fig, ax = theme.subplots(figsize=(6.4, 5.6))
    kinds = list(dict.fromkeys(roles))
    colours = dict(zip(kinds, theme.palette(len(kinds)), strict=True))
    for (x0, y0), (x1, y1), word, role in zip(start, end, words, roles, strict=True):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": colours[role]})
        ax.scatter([x0, x1], [y0, y1], s=[14, 0], color=colours[role], alpha=0.5)
        ax.text(x1, y1, word, fontsize=7, color=colours[role])
    for role in kinds:
        ax.scatter([], [], color=colours[role], label=role)
    ax.set(title=title, xlabel="principal axis 1", ylabel="principal axis 2")
    ax.legend(fontsize=7)
    return fig


def _diagonal(ax, values: np.ndarray, title: str, removed: str, actual: str) -> None:
    """A predicted-against-actual panel's frame: the line predicted = actual over `values` (predicted, actual), the
    axes through zero, the labels and the legend."""
    low, high = np.nanmin(values), np.nanmax(values)
    ax.plot([low, high], [low, high], "k--", linewidth=0.8)
    ax.axhline(0, color="0.7", linewidth=0.6)
    ax.axvline(0, color="0.7", linewidth=0.6)
    ax.set(title=title, xlabel=f"predicted change if {removed}", ylabel=actual)
    ax.legend(fontsize=6, loc="upper left")
