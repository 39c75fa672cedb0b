"""The training objective's Hessian at the trained parameters, eigendecomposed once for every later solve."""

from influential import models
from influential.core import io, job
from influential.derivatives import hessian


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        h = hessian.hessian(
            models.from_meta(meta), theta, dataset.train.x, dataset.train.y, snakemake.params.batch_size
        )
        factorised = hessian.FactorisedHessian.of(h, snakemake.params.damping)
        log.info("spectrum: %s", factorised.summary())
        factorised.save(snakemake.output.factorised, h)
        io.write_json(factorised.summary(), snakemake.output.spectrum)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
