"""One retraining job: a model for each left-out training point of the chunk, plus a control."""

import os

from influential import models
from influential.core import io, job
from influential.loo import retrain
from influential.training.optimizer import AdamSettings, AdamState


def main(snakemake):
    with job.run(snakemake) as log:
        log.info("SLURM job %s on %s", os.environ.get("SLURM_JOB_ID", "(none)"), os.uname().nodename)
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        positions = snakemake.params.positions
        log.info("leaving out training positions %s", positions)
        table = retrain.retrain_chunk(
            models.from_meta(meta),
            theta,
            AdamState.load(snakemake.input.model),
            AdamSettings.from_config(snakemake.params.training),
            dataset.train,
            dataset.test,
            positions,
            retrain.RetrainSettings.from_config(snakemake.params.retrain),
        )
        io.write_table(table, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
