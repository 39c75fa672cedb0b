"""The embedding-space figures of one test point (thesis figures 5.4-5.18 but t-SNE)."""

from influential.core import io, job
from influential.figures import embedding, plots


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        point = io.read_json(snakemake.input.test_point)
        metrics = io.read_table(snakemake.input.metrics)
        drawn = embedding.test_point_figures(
            metrics[metrics["layer"] == snakemake.params.layer],
            dataset.train.x,
            point,
            dataset.test.x[point["test_position"]],
            snakemake.params.layer,
            snakemake.params.figures["images"],
            io.read_table(snakemake.input.history),
            io.read_table(snakemake.input.predictions),
        )
        for name, figure in drawn.items():
            plots.save(figure, snakemake.output[name], snakemake.params.figures["dpi"])
        log.info("%d figures for %s", len(drawn), point["test"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
