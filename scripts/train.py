"""Fit an experiment's model on its training split; record its predictions on the test split."""

from influential.core import io, job
from influential.training import fit as training


def main(snakemake):
    with job.run(snakemake):
        dataset = io.load_dataset(snakemake.input.dataset)
        trained = training.train(snakemake.params.model, snakemake.params.training, dataset)
        state = trained.optimizer.arrays() if trained.optimizer else {}
        io.save_model(snakemake.output.model, trained.theta, trained.model.meta(), **state)
        io.write_table(trained.log, snakemake.output.training_log)
        io.write_json(trained.summary, snakemake.output.summary)
        io.write_table(trained.test_predictions, snakemake.output.test_predictions)
        trained.trajectory.save(snakemake.output.trajectory)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
