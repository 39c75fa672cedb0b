"""Group removal, as Brunet et al. (2019) validated their estimator: for each size k, the k units whose removal an
estimator predicts to raise an objective most (`increase`), the k it predicts to lower it most (`decrease`), and
random sets of k, each retrained away at once: from scratch over several seeds (each seed with its own control that
removes nothing) and warm-started from the trained model (paired with the control on the same minibatches).

A set's predicted change is the sum of its units' predictions (`linear`) or, for estimators that give each unit's
parameter change (`block`), the objective recomputed under the summed change (`shifted`); its actual change is the
retrained model's objective minus its control's, averaged over seeds with their spread.
"""

import numpy as np
import pandas as pd

from influential.core.errors import InputError
from influential.core.names import ACTUAL, DECREASE, EVALUATED_LINEAR, INCREASE, PREDICTED, RANDOM
from influential.core.names import CONTROL_SET as CONTROL
from influential.evaluation.agreement import agreement_statistics
from influential.text.objectives import objective_values


def select(predicted: pd.DataFrame, sizes: list[int], random_sets: int, objectives: list[str], seed: int, n_units: int):
    """The sets to remove, a row each: `set` (its name), `selected_by` (the objective it was chosen for; empty for
    random sets), `direction`, `size` and `units` (sorted unit ids). `predicted` is one estimator's table."""
    too_large = [k for k in sizes if k >= n_units]
    if too_large:
        raise InputError(f"groups.sizes: {too_large[0]} units is not fewer than the corpus' {n_units} units")
    rows = []
    for objective in objectives:
        chosen = predicted[predicted["test"] == objective]
        order = chosen.sort_values([PREDICTED, "train_position"], ascending=[False, True])["train_position"].to_numpy()
        for k in sizes:
            for direction, units in ((INCREASE, order[:k]), (DECREASE, order[::-1][:k])):
                rows.append((f"{objective}:{direction}:{k}", objective, direction, k, np.sort(units)))
    rng = np.random.default_rng(seed)
    for k in sizes:
        for r in range(random_sets):
            rows.append((f"{RANDOM}{r + 1}:{k}", "", RANDOM, k, np.sort(rng.choice(n_units, k, replace=False))))
    return pd.DataFrame(rows, columns=["set", "selected_by", "direction", "size", "units"])


def actual_changes(runs: pd.DataFrame, objectives, vocabulary_size: int, dim: int) -> pd.DataFrame:
    """Every retrained set's change of every objective against its own run's control: a row per (protocol, seed,
    set, objective)."""
    frames = []
    for (protocol, seed), run in runs.groupby(["protocol", "seed"], sort=True):
        values = objective_values(np.stack(run["input_vectors"].to_numpy()), objectives, vocabulary_size, dim)
        control = values[(run["set"] == CONTROL).to_numpy()][0]
        removed = (run["set"] != CONTROL).to_numpy()
        for j, objective in enumerate(objectives):
            frames.append(
                pd.DataFrame(
                    {
                        "protocol": protocol,
                        "seed": seed,
                        "set": run["set"].to_numpy()[removed],
                        "objective": objective.name,
                        "value": values[removed, j],
                        ACTUAL: values[removed, j] - control[j],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def linear_predictions(sets: pd.DataFrame, predicted: pd.DataFrame) -> pd.DataFrame:
    """Each estimator's prediction for each set and objective: the sum of its units' predicted changes."""
    members = sets[["set", "units"]].explode("units").rename(columns={"units": "train_position"})
    members["train_position"] = members["train_position"].astype(np.int64)
    joined = members.merge(predicted[["estimator", "test", "train_position", PREDICTED]], on="train_position")
    summed = joined.groupby(["set", "estimator", "test"], sort=False)[PREDICTED].sum().reset_index()
    return summed.rename(columns={"test": "objective"}).assign(evaluation=EVALUATED_LINEAR)


def summary(sets: pd.DataFrame, actual: pd.DataFrame, predicted: pd.DataFrame) -> pd.DataFrame:
    """A row per (set, objective, estimator, evaluation, protocol): the prediction, the actual change's mean over
    seeds and its spread (sample std; 0 for one seed), and `vs_random`: the actual mean over the mean absolute
    actual change of the random sets of the same size (how far beyond chance the set moved the objective)."""
    over_seeds = (
        actual.groupby(["protocol", "set", "objective"], sort=False)[ACTUAL]
        .agg(actual_mean="mean", actual_std=lambda a: a.std(ddof=1) if len(a) > 1 else 0.0, seeds="size")
        .reset_index()
    )
    over_seeds = over_seeds.merge(sets[["set", "selected_by", "direction", "size"]], on="set")
    random = over_seeds[over_seeds["direction"] == RANDOM]
    chance = random.groupby(["protocol", "objective", "size"])["actual_mean"].apply(lambda a: a.abs().mean())
    over_seeds = over_seeds.join(chance.rename("chance"), on=["protocol", "objective", "size"])
    over_seeds["vs_random"] = over_seeds["actual_mean"] / over_seeds.pop("chance")
    table = predicted.merge(over_seeds, on=["set", "objective"])
    columns = ["set", "selected_by", "direction", "size", "objective", "estimator", "evaluation", PREDICTED]
    columns += ["protocol", "actual_mean", "actual_std", "seeds", "vs_random"]
    return table[columns].sort_values(["objective", "estimator", "evaluation", "protocol", "size", "set"])


def agreement(table: pd.DataFrame) -> pd.DataFrame:
    """Per estimator, evaluation, objective and protocol: Pearson, Spearman and sign agreement of predicted with
    actual (mean over seeds) change across every set, and the Pearson r^2 (Brunet's statistic)."""
    rows = []
    keys = ["estimator", "evaluation", "objective", "protocol"]
    for key, group in table.groupby(keys, sort=True):
        statistics = agreement_statistics(group[PREDICTED].to_numpy(), group["actual_mean"].to_numpy())
        rows.append(dict(zip(keys, key, strict=True)) | {"sets": len(group)} | statistics)
    result = pd.DataFrame(rows)
    result["r_squared"] = result["pearson"] ** 2
    return result
