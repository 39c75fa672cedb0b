"""The union over test points of the top-k training points by predicted influence, cut into retraining chunks."""

from influential import io, loo


def main(snakemake):
    with io.log_to(snakemake.log[0]) as log:
        tables = {table["test"].iloc[0]: table for table in map(io.read_table, snakemake.input.predicted)}
        chosen = loo.selection(tables, snakemake.params.k)
        retrained = loo.retrained_chunks(snakemake.params.chunks)
        plan = loo.plan_chunks(chosen["train_position"], retrained, snakemake.params.chunk_size)
        kept = sorted(set(plan["chunk"]) & set(retrained))
        log.info("%d selections, %d distinct training points", len(chosen), chosen["train_position"].nunique())
        log.info("%d chunks, %d of them already retrained: %s", plan["chunk"].nunique(), len(kept), kept)
        io.write_table(chosen, snakemake.output.selected)
        io.write_table(plan, snakemake.output.plan)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
