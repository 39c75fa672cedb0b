"""Per test point correlation of predicted (linear and shifted) with actual change, for both mixtures, and its
summary per class."""

import pandas as pd

from influential.core import io, job
from influential.core.names import ACTUAL, EVALUATIONS, MIXTURE_MODELS
from influential.evaluation import agreement as evaluation


def main(snakemake):
    with job.run(snakemake) as log:
        classes = io.load_arrays(snakemake.input.data)["y"]
        tables = []
        for model, predicted, actual in zip(
            MIXTURE_MODELS, snakemake.input.influence, snakemake.input.loo, strict=True
        ):
            predictions, measured = io.load_arrays(predicted), io.load_arrays(actual)[ACTUAL]
            for name, column in EVALUATIONS.items():
                table = evaluation.mixture_agreement(predictions[column], measured, classes)
                tables.append(table.assign(model=model, evaluation=name))
        agreement = pd.concat(tables, ignore_index=True)
        summary = evaluation.mixture_summary(agreement)
        log.info("summary:\n%s", summary.to_string())
        io.write_table(agreement, snakemake.output.agreement)
        io.write_table(summary, snakemake.output.summary)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
