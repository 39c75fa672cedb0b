"""Per training point and layer, for one test point: similarity and distance metrics with predicted and actual
influence."""

from pathlib import Path

import pandas as pd

from influential.core import io, job
from influential.embeddings import metrics as embeddings


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        point = io.read_json(snakemake.input.test_point)
        position = point["test_position"]
        layers = {Path(path).stem: io.load_arrays(path) for path in snakemake.input.layers}
        metrics = embeddings.metrics_table(
            layers,
            dataset.train.x,
            dataset.test.x[position],
            dataset.train.y,
            position,
            snakemake.params.covariance,
            snakemake.params.outlier_fraction,
        )
        predicted = pd.concat([io.read_table(path) for path in snakemake.input.predicted], ignore_index=True)
        actual = io.read_table(snakemake.input.actual)
        actual = actual[actual["test"] == point["test"]]
        table = embeddings.with_influence(metrics, predicted, actual, snakemake.params.estimator)
        io.write_table(table.assign(test=point["test"]), snakemake.output[0])
        log.info("%d training points x %d layers, %d retrained", len(dataset.train), len(layers), len(actual))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
