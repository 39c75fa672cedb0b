"""One retraining job: a model for each left-out training point of the chunk, plus a control."""

import os

from influential import io, loo, models, training


def main(snakemake):
    with io.log_to(snakemake.log[0]) as log:
        log.info("SLURM job %s on %s", os.environ.get("SLURM_JOB_ID", "(none)"), os.uname().nodename)
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        positions = snakemake.params.positions
        log.info("leaving out training positions %s", positions)
        table = loo.retrain_chunk(
            models.from_meta(meta),
            theta,
            io.load_optimizer(snakemake.input.model),
            training.AdamSettings.from_config(snakemake.params.training),
            dataset.train,
            dataset.test,
            positions,
            loo.RetrainSettings.from_config(snakemake.params.retrain),
        )
        io.write_table(table, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
