"""Fit an experiment's model on its training split."""

from influential import io, training


def main(snakemake):
    with io.log_to(snakemake.log[0]):
        dataset = io.load_dataset(snakemake.input.dataset)
        model, theta, training_log = training.train(snakemake.params.model, snakemake.params.training, dataset)
        io.save_model(snakemake.output.model, theta, model.meta())
        io.write_table(training_log, snakemake.output.training_log)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
