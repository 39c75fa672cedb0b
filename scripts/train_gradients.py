"""Per-example gradients of the training loss, cached for every estimator and test point."""

from influential import models
from influential.core import io, job
from influential.derivatives import gradients


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        per_example = gradients.per_example_gradients(
            models.from_meta(meta), theta, dataset.train.x, dataset.train.y, snakemake.params.batch_size
        )
        log.info("per-example gradients: %s", per_example.shape)
        io.save_arrays(snakemake.output[0], gradients=per_example)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
