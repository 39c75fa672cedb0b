"""Resolve one configured test point (an index or a rule) against the trained model's test predictions."""

from influential import io, job, selection


def main(snakemake):
    with job.run(snakemake) as log:
        point = selection.resolve(
            snakemake.params.spec, io.read_table(snakemake.input.predictions, selection.PREDICTIONS)
        )
        log.info("test point: %s", point)
        io.write_json(point, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
