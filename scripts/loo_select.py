"""The union over test points (or word objectives) of the top-k training points (units) by predicted influence, cut
into retraining chunks."""

from influential.core import io, job
from influential.core.names import PREDICTED
from influential.loo import plan


def main(snakemake):
    with job.run(snakemake) as log:
        tables = [io.read_table(path, ["test", "train_position", PREDICTED]) for path in snakemake.input.predicted]
        by_test = {test: part for table in tables for test, part in table.groupby("test", sort=False)}
        chosen = plan.selection(by_test, snakemake.params.k)
        retrained = plan.retrained_chunks(snakemake.params.chunks)
        chunks = plan.plan_chunks(chosen["train_position"], retrained, snakemake.params.chunk_size)
        kept = sorted(set(chunks["chunk"]) & set(retrained))
        log.info("%d selections, %d distinct training points", len(chosen), chosen["train_position"].nunique())
        log.info("%d chunks, %d of them already retrained: %s", chunks["chunk"].nunique(), len(kept), kept)
        io.write_table(chosen, snakemake.output.selected)
        io.write_table(chunks, snakemake.output.plan)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
