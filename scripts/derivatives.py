"""The derivatives every influence function starts from, at the trained parameters: the training loss's per-example
gradients (cached for every estimator and test point) and the training objective's Hessian, eigendecomposed once
for every later solve; in the parameters of influence.layers only, where it names some. One job, so that a model
that needs TensorFlow loads it once for both."""

from influential import models
from influential.core import io, job
from influential.derivatives import gradients, hessian


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        model, theta = models.restricted_for(models.from_meta(meta), theta, snakemake.params.settings)
        x, y, batch_size = dataset.train.x, dataset.train.y, snakemake.params.settings["batch_size"]
        per_example = gradients.per_example_gradients(model, theta, x, y, batch_size)
        log.info("per-example gradients: %s", per_example.shape)
        io.save_arrays(snakemake.output.train_gradients, gradients=per_example)
        h = hessian.hessian(model, theta, x, y, batch_size)
        factorised = hessian.FactorisedHessian.of(h, snakemake.params.settings["damping"])
        log.info("spectrum: %s", factorised.summary())
        factorised.save(snakemake.output.factorised, h)
        io.write_json(factorised.summary(), snakemake.output.spectrum)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
