"""Exact leave-one-out of the mixture: every training point left out in turn, refitted from the fitted parameters."""

import time

from influential.core import io, job
from influential.core.names import ACTUAL
from influential.mixture import fit as mixture


def main(snakemake):
    with job.run(snakemake) as log:
        data, theta = io.load_arrays(snakemake.input.data), io.load_arrays(snakemake.input.fit)["theta"]
        started = time.perf_counter()
        model = mixture.model_of(data, snakemake.wildcards.model, snakemake.params.l2)
        actual, refits, steps = mixture.leave_one_out(model, theta, data["x"], data["y"], snakemake.params.fit["gtol"])
        log.info(
            "%d refits in %.1f s, %.1f Newton steps on average (at most %d)",
            len(refits),
            time.perf_counter() - started,
            steps.mean(),
            steps.max(),
        )
        io.save_arrays(snakemake.output[0], **{ACTUAL: actual}, theta=refits, newton_steps=steps)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
