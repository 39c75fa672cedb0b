"""Per training point and layer, for one test point: similarity and distance metrics with predicted and actual
influence."""

from pathlib import Path

import pandas as pd

from influential import embeddings, io


def main(snakemake):
    with io.log_to(snakemake.log[0]) as log:
        settings = snakemake.params.embeddings
        dataset = io.load_dataset(snakemake.input.dataset)
        points = io.read_table(snakemake.input.test_points).set_index("test")
        position = int(points.loc[snakemake.wildcards.test, "test_position"])
        layers = {Path(path).stem: io.load_arrays(path) for path in snakemake.input.layers}
        metrics = embeddings.metrics_table(
            layers,
            dataset.train.x,
            dataset.test.x[position],
            dataset.train.y,
            position,
            settings["covariance"],
            settings["outlier_fraction"],
        )
        predicted = pd.concat([io.read_table(path) for path in snakemake.input.predicted], ignore_index=True)
        actual = io.read_table(snakemake.input.actual)
        actual = actual[actual["test"] == snakemake.wildcards.test]
        table = embeddings.with_influence(metrics, predicted, actual, snakemake.params.estimator)
        io.write_table(table.assign(test=snakemake.wildcards.test), snakemake.output[0])
        log.info("%d training points x %d layers, %d retrained", len(dataset.train), len(layers), len(actual))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
