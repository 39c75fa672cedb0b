"""Predicted change of one test point's objective (its loss, or another: cross-loss influence) when each training
point is left out, by one influence function (exact, CG, LiSSA)."""

from influential import models
from influential.core import io, job
from influential.influence import functions, inputs, tables
from influential.testpoints import cross_loss
from influential.testpoints.objectives import Objective


def main(snakemake):
    with job.run(snakemake):
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        point, name, model = (
            io.read_json(snakemake.input.test_point),
            snakemake.wildcards.estimator,
            models.from_meta(meta),
        )
        objective = cross_loss.bind(Objective.from_config(point["objective"]), model, dataset)
        estimator = functions.build(
            name,
            snakemake.params.settings,
            model,
            theta,
            dataset.train.x,
            dataset.train.y,
            **inputs.load(name, snakemake.input),
        )
        table, diagnostics = tables.for_test_point(estimator, name, point, dataset, objective)
        io.write_table(table, snakemake.output.table)
        io.write_json(diagnostics, snakemake.output.diagnostics)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
