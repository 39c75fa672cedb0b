"""How well each ranking finds the flipped labels: ROC AUC, share found at the inspected share, the whole curve."""

import numpy as np
import pandas as pd

from influential.core import io, job
from influential.mislabel import ranking as mislabel


def main(snakemake):
    with job.run(snakemake) as log:
        flipped = np.array(io.load_dataset(snakemake.input.dataset).meta["label_noise"]["positions"], dtype=np.int64)
        rankings = pd.concat(
            [io.read_table(p, ["ranker", "train_position", "score"]) for p in snakemake.input.rankings]
        )
        summary, curves = mislabel.evaluate(rankings, flipped, snakemake.params.inspect)
        log.info("%d flipped labels:\n%s", len(flipped), summary.to_string())
        io.write_table(summary, snakemake.output.summary)
        io.write_table(curves, snakemake.output.curves)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
