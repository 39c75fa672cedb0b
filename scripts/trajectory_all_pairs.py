"""A trajectory estimator's (TracIn, HYDRA, Hessian-free HYDRA) predicted loss change for every (test, training)
pair of the test split: one pass over the checkpoints or one sweep for every test point."""

from influential.core import job
from influential.influence import inputs, registry


def main(snakemake):
    with job.run(snakemake):
        inputs.write_all_pairs(registry, snakemake.params, snakemake.input, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
