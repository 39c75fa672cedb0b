"""Predicted change of each test point's objective (its loss, or another: cross-loss influence) when each training point
is left out, by a trajectory estimator (TracIn, HYDRA, Hessian-free HYDRA): one test point per job, or all of an
experiment's where an estimator's cost per test point is small (names.ONE_JOB_ESTIMATORS)."""

from influential.core import io, job
from influential.influence import inputs, registry


def main(snakemake):
    with job.run(snakemake):
        name, settings = snakemake.params.estimator, snakemake.params.settings
        predictions = inputs.predict_test_points(
            registry.build, name, settings, snakemake.input, snakemake.input.test_points
        )
        outputs = zip(snakemake.output.tables, snakemake.output.diagnostics, strict=True)
        for (table, diagnostics), (table_file, diagnostics_file) in zip(predictions, outputs, strict=True):
            io.write_table(table, table_file)
            io.write_json(diagnostics, diagnostics_file)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
