"""Flipped labels found against the share inspected, per ranker, and what fixing each ranking's top share buys."""

from influential.core import io, job
from influential.figures import plots


def main(snakemake):
    with job.run(snakemake):
        curves = io.read_table(snakemake.input.curves, ["ranker", "inspected", "found"])
        summary = io.read_table(snakemake.input.summary, ["ranker", "roc_auc"])
        fixes = io.read_table(snakemake.input.fixes, ["fixed_by", "test_accuracy"])
        figure = plots.mislabel_overview(curves, summary, fixes, snakemake.params.inspect)
        plots.save(figure, snakemake.output[0], snakemake.params.figures["dpi"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
