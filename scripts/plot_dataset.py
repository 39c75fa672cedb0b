"""Thesis figure 4.1: the training data (with its outlier and the decision boundary), or example images."""

from influential import io, plots


def main(snakemake):
    with io.log_to(snakemake.log[0]):
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, _ = io.load_model(snakemake.input.model)
        figure = plots.dataset_overview(dataset, io.read_table(snakemake.input.test_points), theta)
        io.save_figure(figure, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
