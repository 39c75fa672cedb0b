"""All retraining chunks of an experiment as one table of actual influence."""

from influential import io, loo


def main(snakemake):
    with io.log_to(snakemake.log[0]) as log:
        actual = loo.gather([io.read_table(path) for path in snakemake.input])
        log.info("%d retrained points, %d test points", actual["train_position"].nunique(), actual["test"].nunique())
        io.write_table(actual, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
