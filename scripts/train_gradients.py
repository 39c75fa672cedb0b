"""Per-example gradients of the training loss, cached for every estimator and test point."""

from influential import hessian, io, models


def main(snakemake):
    with io.log_to(snakemake.log[0]) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        gradients = hessian.per_example_gradients(models.from_meta(meta), theta, dataset.train.x, dataset.train.y)
        log.info("per-example gradients: %s", gradients.shape)
        io.save_arrays(snakemake.output[0], gradients=gradients)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
