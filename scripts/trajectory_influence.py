"""Predicted change of each test point's objective (its loss, or another: cross-loss influence) when each training point
is left out, by a trajectory estimator (TracIn, HYDRA, Hessian-free HYDRA): one test point per job, or all of an
experiment's where an estimator's cost per test point is small (names.ONE_JOB_ESTIMATORS)."""

from influential.core import job
from influential.influence import inputs, registry


def main(snakemake):
    with job.run(snakemake):
        inputs.write_predictions(registry, snakemake.params, snakemake.input, snakemake.output)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
