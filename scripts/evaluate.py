"""Join predicted and actual influence and measure how well they agree (leave-one-out; and the linear datamodeling
score's rows where the experiment has them)."""

import pandas as pd

from influential.core import io, job
from influential.evaluation import agreement as evaluation


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        predicted = pd.concat([io.read_table(path) for path in snakemake.input.predicted], ignore_index=True)
        joined = evaluation.join(predicted, io.read_table(snakemake.input.actual))
        agreement = evaluation.agreement(joined, dataset.marked_positions())
        # the linear datamodeling score's rows beside leave-one-out's, where the experiment has them
        lds = [io.read_table(path) for path in snakemake.input.lds]
        agreement = pd.concat([agreement, *lds], ignore_index=True)
        log.info("agreement:\n%s", agreement.to_string(index=False))
        io.write_table(joined, snakemake.output.joined)
        io.write_table(agreement, snakemake.output.agreement)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
