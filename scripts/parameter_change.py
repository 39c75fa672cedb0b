"""Thesis figure 5.19's numbers: every parameter's change after retraining without the first test point's most
influential training point, warm-started and from scratch."""

import numpy as np

from influential import models
from influential.core import io, job
from influential.core.names import PREDICTED
from influential.loo import parameter_change
from influential.loo.retrain import RetrainSettings
from influential.training.optimizer import AdamSettings, AdamState


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        position, changes, table = parameter_change.most_influential_change(
            models.from_meta(meta),
            theta,
            AdamState.load(snakemake.input.model),
            AdamSettings.from_config(snakemake.params.training),
            dataset,
            io.read_table(snakemake.input.predicted, ["train_position", PREDICTED]),
            RetrainSettings.from_config(snakemake.params.retrain),
        )
        log.info("parameter changes:\n%s", table.to_string(index=False))
        io.save_arrays(snakemake.output.changes, position=np.array(position), **changes)
        io.write_table(table, snakemake.output.table)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
