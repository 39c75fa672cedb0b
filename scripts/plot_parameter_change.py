"""Thesis figure 5.19: the weight changes of warm-started and of complete retraining."""

from influential.core import io, job
from influential.figures import plots


def main(snakemake):
    with job.run(snakemake):
        arrays = io.load_arrays(snakemake.input[0])
        position = int(arrays.pop("position"))
        figure = plots.parameter_change_maps(arrays, position)
        plots.save(figure, snakemake.output[0], snakemake.params.figures["dpi"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
