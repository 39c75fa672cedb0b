"""Predicted change of each test point's objective (its loss, or another: cross-loss influence) when each training point
is left out, by TRAK: every test point of an experiment in one job, its ensemble's projected gradients formed once."""

from influential.core import job
from influential.influence import inputs, trak


def main(snakemake):
    with job.run(snakemake):
        inputs.write_predictions(trak, snakemake.params, snakemake.input, snakemake.output)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
