"""Correlation of every metric and estimator with actual influence (long table, bootstrap intervals), thesis
Table 5.1 (CSV and Markdown; with the linear datamodeling score's rows where the experiment has them) and the top-k
Mahalanobis overlap."""

import pandas as pd

from influential.core import io, job
from influential.embeddings import metrics as embeddings


def main(snakemake):
    with job.run(snakemake) as log:
        bootstrap, layer = snakemake.params.bootstrap, snakemake.params.layer
        tables = [io.read_table(path) for path in snakemake.input.metrics]
        lds = pd.concat([io.read_table(path) for path in snakemake.input.lds]) if snakemake.input.lds else None
        correlations = pd.concat(
            [
                embeddings.correlations(table, table["test"].iloc[0], bootstrap["resamples"], bootstrap["seed"])
                for table in tables
            ],
            ignore_index=True,
        )
        compact = embeddings.table_5_1(correlations, layer, snakemake.params.estimators, lds)
        overlap = pd.DataFrame([embeddings.mahalanobis_overlap(t, t["test"].iloc[0], layer) for t in tables])
        log.info("Table 5.1:\n%s\n%s", compact.to_string(float_format="%.3f"), overlap.to_string(index=False))
        io.write_table(correlations, snakemake.output.correlations)
        io.write_table(compact.reset_index(), snakemake.output.table)
        io.write_text(compact.to_markdown(floatfmt=".3f") + "\n", snakemake.output.markdown)
        io.write_table(overlap, snakemake.output.overlap)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
