"""The union over test points of the top-k training points by predicted influence."""

from influential import io, loo


def main(snakemake):
    with io.log_to(snakemake.log[0]) as log:
        tables = {table["test"].iloc[0]: table for table in map(io.read_table, snakemake.input.predicted)}
        chosen = loo.selection(tables, snakemake.params.k)
        log.info("%d selections, %d distinct training points", len(chosen), chosen["train_position"].nunique())
        io.write_table(chosen, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
