"""How the estimators compare: time, residual and agreement with the reference estimator per test point."""

import pandas as pd

from influential.core import io, job
from influential.evaluation import agreement as evaluation


def main(snakemake):
    with job.run(snakemake) as log:
        predicted = pd.concat([io.read_table(path) for path in snakemake.input.tables], ignore_index=True)
        diagnostics = [io.read_json(path) for path in snakemake.input.diagnostics]
        comparison = evaluation.estimator_comparison(predicted, diagnostics)
        log.info("estimators:\n%s", comparison.to_string(index=False))
        io.write_table(comparison, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
