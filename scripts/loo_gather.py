"""Every leave-one-out model's test losses (retraining chunks, or refits), or its values of another test objective,
as actual influence on each test point."""

from pathlib import Path

from influential.core import io, job
from influential.loo import gather, objectives, plan


def main(snakemake):
    with job.run(snakemake) as log:
        selected = snakemake.input.get("selected")
        if selected:  # retraining: chunks named after their left-out points
            tables = {Path(path).stem: plan.read_chunk(path) for path in snakemake.input.tables}
            selected = io.read_table(selected, ["train_position", "test"])
        else:
            tables = {Path(path).stem: io.read_table(path, plan.CHUNK_COLUMNS) for path in snakemake.input.tables}
        points = io.read_table(snakemake.input.test_points, ["test", "test_position"])
        measured = {Path(path).stem: io.read_table(path, objectives.COLUMNS) for path in snakemake.input.objectives}
        actual = gather.gather(tables, points, selected, measured)
        log.info("%d left-out points, %d test points", actual["train_position"].nunique(), actual["test"].nunique())
        io.write_table(actual, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
