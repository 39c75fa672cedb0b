"""The exact influence function's predicted loss change for every (test, training) pair of the test split: one
product with the factorised Hessian."""

from influential.core import job
from influential.influence import functions, inputs


def main(snakemake):
    with job.run(snakemake):
        inputs.write_all_pairs(functions, snakemake.params, snakemake.input, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
