"""Fit the mixture without labels (unsupervised) or with them (matched), to the exact optimum."""

import time

from influential.core import io, job
from influential.mixture import fit as mixture


def main(snakemake):
    with job.run(snakemake) as log:
        data = io.load_arrays(snakemake.input[0])
        settings = snakemake.params.fit
        started = time.perf_counter()
        model = mixture.model_of(data, snakemake.wildcards.model, snakemake.params.l2)
        theta, record = mixture.fit(model, data["x"], data["y"], settings["seed"], settings["n_init"], settings["gtol"])
        log.info("fit: %s in %.1f s", record, time.perf_counter() - started)
        means, covariances, weights = model.unpack(theta)
        io.save_arrays(
            snakemake.output.fit,
            theta=theta,
            means=means,
            covariances=covariances,
            weights=weights,
            test_objectives=model.posterior_losses(theta, data["x"], data["y"]),
        )
        io.write_json(record, snakemake.output.record)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
