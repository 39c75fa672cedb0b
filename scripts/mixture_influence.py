"""Cross-loss influence of every training point on every point's -log p(class | x), with the exact Hessian of the
training objective: linear, and evaluated shifted (the objective recomputed at the predicted parameters)."""

import time

from influential.core import io, job
from influential.core.names import PREDICTED, SHIFTED
from influential.mixture import fit as mixture


def main(snakemake):
    with job.run(snakemake) as log:
        data, theta = io.load_arrays(snakemake.input.data), io.load_arrays(snakemake.input.fit)["theta"]
        started = time.perf_counter()
        model = mixture.model_of(data, snakemake.wildcards.model, snakemake.params.l2)
        predicted, eigenvalues = mixture.influence(model, theta, data["x"], data["y"])
        log.info(
            "%s matrix in %.1f s; Hessian eigenvalues %.3g to %.3g",
            predicted.shape,
            time.perf_counter() - started,
            eigenvalues[0],
            eigenvalues[-1],
        )
        shifted = mixture.shifted_influence(model, theta, data["x"], data["y"])
        io.save_arrays(snakemake.output[0], **{PREDICTED: predicted, SHIFTED: shifted}, hessian_eigenvalues=eigenvalues)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
