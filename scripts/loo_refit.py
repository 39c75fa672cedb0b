"""Leave-one-out ground truth for logistic regression: a refit without every training point (or loo.sample of them)."""

from influential import models
from influential.core import io, job
from influential.loo import refit


def main(snakemake):
    with job.run(snakemake):
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        training, loo = snakemake.params.training, snakemake.params.loo
        refits = refit.refit_logistic(
            models.from_meta(meta),
            theta,
            dataset.train,
            dataset.test,
            training["tol"],
            training["max_iter"],
            refit.sampled_positions(len(dataset.train), loo["sample"], loo["seed"]),
            from_fit=loo["refit_from"] == "fit",
        )
        io.write_table(refits, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
