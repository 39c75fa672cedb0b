"""The learned metric (thesis Table 4.3) for each test point of an experiment: embedding + label -> actual
influence."""

import pandas as pd

from influential.core import io, job
from influential.core.names import ACTUAL
from influential.embeddings import learned_metric


def main(snakemake):
    with job.run(snakemake) as log:
        settings = learned_metric.AnnSettings.from_config(snakemake.params.ann)
        dataset = io.load_dataset(snakemake.input.dataset)
        layer = io.load_arrays(snakemake.input.layer)["train"]
        output = snakemake.output
        for metrics_file, predictions_file, history_file, summary_file in zip(
            snakemake.input.metrics, output.predictions, output.history, output.summaries, strict=True
        ):
            metrics = io.read_table(metrics_file)
            rows = metrics[(metrics["layer"] == metrics["layer"].iloc[0]) & metrics[ACTUAL].notna()]
            target = rows[ACTUAL].to_numpy()
            curves, predicted, heldout, summary = learned_metric.fit(
                layer[rows["train_position"]], rows["label"].to_numpy(), dataset.n_classes, target, settings
            )
            predictions = pd.DataFrame(
                {
                    "train_position": rows["train_position"].to_numpy(),
                    "split": ["heldout" if h else "train" for h in heldout],
                    ACTUAL: target,
                    "ann_prediction": predicted,
                }
            )
            log.info("learned metric of %s on %s: %s", metrics_file, settings.layer, summary)
            io.write_table(predictions, predictions_file)
            io.write_table(curves, history_file)
            io.write_json(summary | {"layer": settings.layer}, summary_file)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
