"""TensorBoard projector folder for the logits of every training and test example."""

import numpy as np
import pandas as pd

from influential.core import io, job
from influential.embeddings import projector


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        logits = io.load_arrays(snakemake.input.logits)
        # one test example can be several test points (e.g. with different objectives)
        points = io.read_table(snakemake.input.test_points).groupby("test_position")["test"].agg(", ".join)
        parts = []
        for name, split in (("train", dataset.train), ("test", dataset.test)):
            positions = np.arange(len(split))
            parts.append(
                pd.DataFrame(
                    {
                        "split": name,
                        "position": positions,
                        "label": split.y,
                        "predicted": logits[name].argmax(axis=1),
                        "test_point": points.reindex(positions).fillna("").to_numpy() if name == "test" else "",
                    }
                )
            )
        vectors = np.vstack([logits["train"], logits["test"]])
        images = np.concatenate([dataset.train.x, dataset.test.x])
        projector.write(snakemake.output[0], "logits", vectors, pd.concat(parts, ignore_index=True), images)
        log.info("projector: %d points of %d dimensions", *vectors.shape)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
