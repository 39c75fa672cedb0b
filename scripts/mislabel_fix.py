"""What fixing buys: the flipped labels found in the top share of each ranking restored, the model refitted, and
its test accuracy and loss; beside it, nothing fixed and everything fixed."""

import dataclasses

import numpy as np
import pandas as pd

from influential.core import io, job
from influential.data.splits import Split
from influential.mislabel import ranking as mislabel
from influential.training import fit as training


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        noise, train = dataset.meta["label_noise"], dataset.train
        flipped, true_labels = np.array(noise["positions"], dtype=np.int64), np.array(noise["true_labels"])
        clean = train.y.copy()
        clean[flipped] = true_labels
        variants = {"none": (train.y, 0), "all": (clean, len(flipped))}
        for path in snakemake.input.rankings:
            table = io.read_table(path, ["ranker", "train_position", "score"]).sort_values("train_position")
            scores = table["score"].to_numpy()
            variants[table["ranker"].iloc[0]] = mislabel.fixed_labels(
                train.y, scores, flipped, true_labels, snakemake.params.share
            )
        rows = []
        for fixed_by, (labels, restored) in variants.items():
            fixed = dataclasses.replace(dataset, train=Split(train.x, labels, train.index))
            trained = training.train(snakemake.params.model, snakemake.params.training, fixed)
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
        io.write_table(pd.DataFrame(rows), snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
