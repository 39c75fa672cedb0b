"""Thesis figures 5.2 / 5.3: predicted against leave-one-out influence, one panel per test point."""

from influential import io, plots


def main(snakemake):
    with io.log_to(snakemake.log[0]):
        dataset = io.load_dataset(snakemake.input.dataset)
        joined = io.read_table(snakemake.input.joined)
        estimator = snakemake.wildcards.estimator
        figure = plots.predicted_vs_actual(
            joined[joined["estimator"] == estimator],
            io.read_table(snakemake.input.agreement),
            dataset,
            estimator,
        )
        io.save_figure(figure, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
