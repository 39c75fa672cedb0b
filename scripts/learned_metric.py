"""The learned metric (thesis Table 4.3) for one test point: embedding + label -> actual influence."""

import pandas as pd

from influential.core import io, job
from influential.core.names import ACTUAL
from influential.embeddings import learned_metric


def main(snakemake):
    with job.run(snakemake) as log:
        settings = learned_metric.AnnSettings.from_config(snakemake.params.ann)
        dataset = io.load_dataset(snakemake.input.dataset)
        metrics = io.read_table(snakemake.input.metrics)
        rows = metrics[(metrics["layer"] == metrics["layer"].iloc[0]) & metrics[ACTUAL].notna()]
        embedding = io.load_arrays(snakemake.input.layer)["train"][rows["train_position"]]
        target = rows[ACTUAL].to_numpy()
        curves, predicted, heldout, summary = learned_metric.fit(
            embedding, rows["label"].to_numpy(), dataset.n_classes, target, settings
        )
        predictions = pd.DataFrame(
            {
                "train_position": rows["train_position"].to_numpy(),
                "split": ["heldout" if h else "train" for h in heldout],
                ACTUAL: target,
                "ann_prediction": predicted,
            }
        )
        log.info("learned metric on %s: %s", settings.layer, summary)
        io.write_table(predictions, snakemake.output.predictions)
        io.write_table(curves, snakemake.output.history)
        io.write_json(summary | {"layer": settings.layer}, snakemake.output.summary)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
