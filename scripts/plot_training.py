"""Training curves of an Adam-trained model."""

from influential.core import io, job
from influential.figures import plots


def main(snakemake):
    with job.run(snakemake):
        figure = plots.training_curves(io.read_table(snakemake.input[0]))
        plots.save(figure, snakemake.output[0], snakemake.params.figures["dpi"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
