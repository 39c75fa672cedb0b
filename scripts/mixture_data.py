"""The Gaussian-mixture experiment's data: points drawn from each cluster, labelled by their cluster."""

import numpy as np

from influential.core import io, job
from influential.mixture import data as mixture_data


def main(snakemake):
    with job.run(snakemake) as log:
        data = snakemake.params.data
        x, y = mixture_data.gaussian_blobs(data["means"], data["std"], data["n_per_class"], data["seed"])
        log.info("%d points in %d dimensions from %d clusters", *x.shape, len(data["means"]))
        io.save_arrays(snakemake.output[0], x=x, y=y, means=np.asarray(data["means"], dtype=np.float64))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
