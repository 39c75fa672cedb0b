"""Leave-one-out ground truth for logistic regression: a refit without every training point."""

from influential import io, job, models
from influential.loo import refit


def main(snakemake):
    with job.run(snakemake):
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        training = snakemake.params.training
        refits = refit.refit_logistic(
            models.from_meta(meta), theta, dataset.train, dataset.test, training["tol"], training["max_iter"]
        )
        io.write_table(refits, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
