"""A test point's objective (other than its loss) on every stored leave-one-out model: retraining chunks or refits
keep each model's parameters, so a new objective is measured without retraining."""

from pathlib import Path

import numpy as np
import pandas as pd

from influential import models
from influential.core import io, job
from influential.testpoints import cross_loss
from influential.testpoints.objectives import Objective


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        _, meta = io.load_model(snakemake.input.model)
        point = io.read_json(snakemake.input.test_point)
        objective = cross_loss.bind(Objective.from_config(point["objective"]), models.from_meta(meta), dataset)
        position = point["test_position"]
        x, y = dataset.test.x[[position]], dataset.test.y[[position]]
        frames = []
        for path in snakemake.input.tables:
            table = io.read_table(path, ["model", "train_position", "theta"])
            values = objective.evaluate(np.stack(table["theta"].to_numpy()), x, y)[:, 0]
            frames.append(table[["model", "train_position"]].assign(table=Path(path).stem, value=values))
        values = pd.concat(frames, ignore_index=True)
        log.info("%s of %s on %d stored models", point["objective_label"], point["test"], len(values))
        io.write_table(values, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
