"""Fit an experiment's model on its training split."""

from influential import io, training


def main(snakemake):
    with io.log_to(snakemake.log[0]):
        dataset = io.load_dataset(snakemake.input.dataset)
        trained = training.train(snakemake.params.model, snakemake.params.training, dataset)
        io.save_model(snakemake.output.model, trained.theta, trained.model.meta(), trained.optimizer)
        io.write_table(trained.log, snakemake.output.training_log)
        io.write_json(trained.summary, snakemake.output.summary)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
