"""Thesis figure 4.1: the training data (with its outlier and the decision boundary), or example images."""

from influential.core import io, job
from influential.figures import plots


def main(snakemake):
    with job.run(snakemake):
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, _ = io.load_model(snakemake.input.model)
        figure = plots.dataset_overview(dataset, io.read_table(snakemake.input.test_points), theta)
        plots.save(figure, snakemake.output[0], snakemake.params.figures["dpi"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
