"""Agreement of every estimator's predictions (linear and shifted) with the measured changes."""

import pandas as pd

from influential.core import io, job
from influential.text import ground_truth


def main(snakemake):
    with job.run(snakemake):
        predicted = pd.concat([io.read_table(path) for path in snakemake.input.predicted], ignore_index=True)
        table = ground_truth.agreement(predicted, io.read_table(snakemake.input.actual))
        io.write_table(table, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
