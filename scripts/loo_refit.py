"""Leave-one-out ground truth by refitting without every training point."""

from influential import io, loo, models


def main(snakemake):
    with io.log_to(snakemake.log[0]):
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        chosen = io.read_table(snakemake.input.test_points)
        training = snakemake.params.training
        actual = loo.refit_logistic(
            models.from_meta(meta),
            theta,
            dataset.train,
            dataset.test.take(chosen["test_position"].to_numpy()),
            chosen["test"].tolist(),
            training["tol"],
            training["max_iter"],
        )
        io.write_table(actual, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
