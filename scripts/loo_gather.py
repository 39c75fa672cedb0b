"""All retraining chunks of an experiment as one table of actual influence on each test point."""

from pathlib import Path

from influential import io, loo


def main(snakemake):
    with io.log_to(snakemake.log[0]) as log:
        chunks = {Path(path).stem: io.read_table(path) for path in snakemake.input.chunks}
        actual = loo.gather(chunks, io.read_table(snakemake.input.test_points), io.read_table(snakemake.input.selected))
        log.info("%d retrained points, %d test points", actual["train_position"].nunique(), actual["test"].nunique())
        io.write_table(actual, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
