"""What fixing buys: the flipped labels found in the top share of each ranking restored, the model trained again
(a refit for logistic regression; the same initialisation and minibatches for the all-CNN), and its test accuracy
and loss; beside them, nothing fixed and everything fixed."""

import dataclasses
import logging

import numpy as np
import pandas as pd

from influential.data.splits import Dataset, Split
from influential.mislabel.ranking import fixed_labels
from influential.training import fit

log = logging.getLogger(__name__)


def fix_and_retrain(
    dataset: Dataset, scores: dict[str, np.ndarray], share: float, model_config: dict, training_config: dict
) -> pd.DataFrame:
    """One row per ranker (`scores`: every training point's score by position) and for `none` and `all`: how many
    flipped labels were restored, and the retrained model's test accuracy and mean test loss."""
    noise, train = dataset.meta["label_noise"], dataset.train
    flipped, true_labels = np.array(noise["positions"], dtype=np.int64), np.array(noise["true_labels"])
    clean = train.y.copy()
    clean[flipped] = true_labels
    variants = {"none": (train.y, 0), "all": (clean, len(flipped))}
    variants |= {ranker: fixed_labels(train.y, score, flipped, true_labels, share) for ranker, score in scores.items()}
    rows = []
    for fixed_by, (labels, restored) in variants.items():
        fixed = dataclasses.replace(dataset, train=Split(train.x, labels, train.index))
        trained = fit.train(model_config, training_config, fixed)
        rows.append(
            {
                "fixed_by": fixed_by,
                "restored": restored,
                "flipped": len(flipped),
                "test_accuracy": trained.summary["test_accuracy"],
                "test_loss": float(trained.test_predictions["loss"].mean()),
            }
        )
        log.info("%s", rows[-1])
    return pd.DataFrame(rows)
