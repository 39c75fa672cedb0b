"""One retraining job of the Skip-gram model: a model without each unit of the chunk, plus a control."""

import os

from influential.core import io, job
from influential.loo import retrain
from influential.models.skipgram import SkipGram
from influential.text.pairs import Pairs
from influential.text.training import units_dataset
from influential.training.optimizer import AdamSettings, AdamState


def main(snakemake):
    with job.run(snakemake) as log:
        log.info("SLURM job %s on %s", os.environ.get("SLURM_JOB_ID", "(none)"), os.uname().nodename)
        theta, meta = io.load_model(snakemake.input.model)
        model = SkipGram.from_pairs(meta, Pairs.load(snakemake.input.pairs))
        dataset = units_dataset(model)
        log.info("leaving out units %s", snakemake.params.positions)
        table = retrain.retrain_chunk(
            model,
            theta,
            AdamState.load(snakemake.input.model),
            AdamSettings.from_config(snakemake.params.training),
            dataset.train,
            dataset.test,
            snakemake.params.positions,
            retrain.RetrainSettings.from_config(snakemake.params.retrain),
        )
        io.write_table(table, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
