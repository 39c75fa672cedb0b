"""What fixing buys: the top share of each ranking fixed, by restoring the flipped labels found there (`restore`) or
by dropping every point there (`drop`, HYDRA's protocol), the model trained again (a refit for logistic regression;
the same initialisation and minibatch order for the all-CNN), and its test accuracy and loss; beside them, nothing
fixed and everything fixed (every flipped label restored, or every flipped point dropped)."""

import dataclasses
import logging

import numpy as np
import pandas as pd

from influential.data.splits import Dataset, Split
from influential.mislabel.ranking import fixed_labels, ranking
from influential.training import fit

log = logging.getLogger(__name__)


def fixed_splits(train: Split, scores: dict[str, np.ndarray], share: float, protocol: str, noise: dict) -> dict:
    """The training split each ranking leaves after `protocol` (and `all`: every flipped point fixed), with how many
    flipped points its top share found."""
    flipped, true_labels = np.array(noise["positions"], dtype=np.int64), np.array(noise["true_labels"])
    if protocol == "restore":
        clean = train.y.copy()
        clean[flipped] = true_labels
        variants = {"all": (clean, len(flipped))}
        variants |= {r: fixed_labels(train.y, score, flipped, true_labels, share) for r, score in scores.items()}
        return {r: (Split(train.x, labels, train.index), found) for r, (labels, found) in variants.items()}
    dropped = {"all": flipped} | {r: ranking(score)[: round(share * len(score))] for r, score in scores.items()}
    split = {}
    for ranker, positions in dropped.items():
        keep = np.setdiff1d(np.arange(len(train)), positions)
        split[ranker] = (train.take(keep), int(np.isin(flipped, positions).sum()))
    return split


def fix_and_retrain(
    dataset: Dataset,
    scores: dict[str, np.ndarray],
    share: float,
    protocols: list[str],
    model_config: dict,
    training_config: dict,
) -> pd.DataFrame:
    """One row per protocol and ranker (`scores`: every training point's score by position), and for `all` and
    `none` (trained once): how many flipped points the fix found, how many training points were left, and the
    retrained model's test accuracy and mean test loss."""
    noise, train = dataset.meta["label_noise"], dataset.train
    variants = [("none", "none", train, 0)]
    for protocol in protocols:
        for ranker, (split, found) in fixed_splits(train, scores, share, protocol, noise).items():
            variants.append((protocol, ranker, split, found))
    rows = []
    for protocol, fixed_by, split, found in variants:
        trained = fit.train(model_config, training_config, dataclasses.replace(dataset, train=split))
        rows.append(
            {
                "protocol": protocol,
                "fixed_by": fixed_by,
                "found": found,
                "flipped": len(noise["positions"]),
                "n_train": len(split),
                "test_accuracy": trained.summary["test_accuracy"],
                "test_loss": float(trained.test_predictions["loss"].mean()),
            }
        )
        log.info("%s", rows[-1])
    return pd.DataFrame(rows)
