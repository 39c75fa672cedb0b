"""Thesis figures 5.2 / 5.3: predicted against leave-one-out influence, one panel per test point."""

from influential.core import io, job
from influential.figures import plots


def main(snakemake):
    with job.run(snakemake):
        dataset = io.load_dataset(snakemake.input.dataset)
        joined = io.read_table(snakemake.input.joined)
        estimator = snakemake.wildcards.estimator
        points = io.read_table(snakemake.input.test_points, ["test", "objective_label"])
        figure = plots.predicted_vs_actual(
            joined[joined["estimator"] == estimator],
            io.read_table(snakemake.input.agreement),
            dataset,
            estimator,
            dict(zip(points["test"], points["objective_label"], strict=True)),
        )
        plots.save(figure, snakemake.output[0], snakemake.params.figures["dpi"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
