"""Predicted change of each test point's objective (its loss, or another: cross-loss influence) when each training point
is left out, by one influence function (exact, CG, LiSSA): one test point per job, or all of an experiment's where an
estimator's cost per test point is small (names.ONE_JOB_ESTIMATORS)."""

from influential.core import job
from influential.influence import functions, inputs


def main(snakemake):
    with job.run(snakemake):
        inputs.write_predictions(functions, snakemake.params, snakemake.input, snakemake.output)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
