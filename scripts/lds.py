"""The linear datamodeling score of every estimator on every test point, from the subset models' objectives and the
estimators' predicted changes."""

import pandas as pd

from influential import models
from influential.core import io, job
from influential.lds import score


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        _, meta = io.load_model(snakemake.input.model)
        trained = pd.concat([io.read_table(path) for path in snakemake.input.chunks], ignore_index=True)
        points = [io.read_json(path) for path in snakemake.input.test_points]
        values = score.objective_values(trained, dataset, models.from_meta(meta), points)
        per_subset = score.subset_values(trained, values, [point["test"] for point in points])
        predicted = pd.concat([io.read_table(path) for path in snakemake.input.predicted], ignore_index=True)
        table = score.agreement(per_subset, predicted)
        log.info("LDS:\n%s", table.to_string(index=False))
        io.write_table(per_subset, snakemake.output.values)
        io.write_table(table, snakemake.output.table)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
