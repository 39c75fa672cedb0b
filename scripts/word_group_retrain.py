"""One group-removal run of the Skip-gram model: a model without each set, beside a control, warm-started or from
scratch with one seed; each model's input vectors (float32: every vocabulary word, so that an objective added
later retrains nothing)."""

import os

import numpy as np
import pandas as pd

from influential.core import io, job
from influential.core.names import CONTROL_SET
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
        sets = io.read_table(snakemake.input.sets, ["set", "units"])
        settings = retrain.RetrainSettings.from_config(snakemake.params.retrain)
        log.info("%d sets, %s (%d steps, seed %d)", len(sets), settings.protocol, settings.steps, settings.seed)
        thetas = retrain.retrain_sets(
            model,
            theta,
            AdamState.load(snakemake.input.model),
            AdamSettings.from_config(snakemake.params.training),
            units_dataset(model).train,
            list(sets["units"]),
            settings,
        )
        table = pd.DataFrame(
            {
                "set": [*sets["set"], CONTROL_SET],
                "protocol": settings.protocol,
                "seed": settings.seed,
                "steps": settings.steps,
                "input_vectors": list(model.input_vectors(thetas).reshape(len(thetas), -1).astype(np.float32)),
            }
        )
        io.write_table(table, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
