"""Predicted change of one test point's objective (its loss, or another: cross-loss influence) when each training
point is left out, by one influence function (exact, CG, LiSSA)."""

from influential.core import io, job
from influential.influence import functions, inputs


def main(snakemake):
    with job.run(snakemake):
        name, settings = snakemake.wildcards.estimator, snakemake.params.settings
        table, diagnostics = inputs.predict_test_point(functions.build, name, settings, snakemake.input)
        io.write_table(table, snakemake.output.table)
        io.write_json(diagnostics, snakemake.output.diagnostics)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
