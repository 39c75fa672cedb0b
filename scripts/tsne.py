"""t-SNE of the logits of the training examples and the test points."""

import numpy as np
import pandas as pd

from influential.core import io, job
from influential.embeddings import metrics as embeddings


def main(snakemake):
    with job.run(snakemake) as log:
        logits = io.load_arrays(snakemake.input.logits)
        points = io.read_table(snakemake.input.test_points)
        z = np.vstack([logits["train"], logits["test"][points["test_position"]]])
        settings = snakemake.params.tsne
        coords = embeddings.tsne(
            z, settings["perplexity"], settings["learning_rate"], settings["max_iter"], settings["seed"]
        )
        n = len(logits["train"])
        table = pd.DataFrame(
            {
                "point": [""] * n + points["test"].tolist(),
                "position": np.concatenate([np.arange(n), points["test_position"]]),
                "predicted": z.argmax(axis=1),
                "x": coords[:, 0],
                "y": coords[:, 1],
            }
        )
        io.write_table(table, snakemake.output[0])
        log.info("t-SNE of %d points", len(z))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
