"""The word-embedding experiment's figure: predicted against actual change of every objective."""

import pandas as pd

from influential.core import io, job
from influential.figures import plots
from influential.figures import words as word_figures


def main(snakemake):
    with job.run(snakemake):
        predicted = pd.concat([io.read_table(path) for path in snakemake.input.predicted], ignore_index=True)
        figure = word_figures.predicted_vs_actual(
            predicted, io.read_table(snakemake.input.actual), io.read_table(snakemake.input.agreement)
        )
        plots.save(figure, snakemake.output[0], snakemake.params.dpi)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
