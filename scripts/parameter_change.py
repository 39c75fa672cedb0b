"""Thesis figure 5.19's numbers: every parameter's change after retraining without the first test point's most
influential training point, warm-started and from scratch."""

import numpy as np
import pandas as pd

from influential import models
from influential.core import io, job
from influential.core.names import PREDICTED
from influential.loo import plan, retrain
from influential.training.optimizer import AdamSettings, AdamState


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        predicted = io.read_table(snakemake.input.predicted, ["train_position", PREDICTED])
        position = int(plan.ranked_for_retraining(predicted)["train_position"].iloc[0])
        schedule = AdamSettings.from_config(snakemake.params.training)
        changes = retrain.parameter_changes(
            models.from_meta(meta),
            theta,
            AdamState.load(snakemake.input.model),
            schedule,
            dataset,
            position,
            retrain.RetrainSettings.from_config(snakemake.params.retrain),
            schedule.seed + 1,
        )
        table = pd.DataFrame(
            {
                "protocol": list(changes),
                "train_position": position,
                "steps": [snakemake.params.retrain["steps"], schedule.steps],
                "param_distance": [float(np.linalg.norm(c)) for c in changes.values()],
                "largest_change": [float(np.abs(c).max()) for c in changes.values()],
            }
        )
        log.info("parameter changes:\n%s", table.to_string(index=False))
        io.save_arrays(snakemake.output.changes, position=np.array(position), **changes)
        io.write_table(table, snakemake.output.table)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
