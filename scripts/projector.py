"""TensorBoard projector folder for the logits of every training and test example."""

import numpy as np

from influential.core import io, job
from influential.embeddings import projector


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        logits = io.load_arrays(snakemake.input.logits)
        metadata = projector.metadata(dataset, logits, io.read_table(snakemake.input.test_points))
        vectors = np.vstack([logits["train"], logits["test"]])
        images = np.concatenate([dataset.train.x, dataset.test.x])
        projector.write(snakemake.output[0], "logits", vectors, metadata, images)
        log.info("projector: %d points of %d dimensions", *vectors.shape)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
