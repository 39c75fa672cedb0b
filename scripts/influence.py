"""Predicted change of one test point's objective (its loss, or another: cross-loss influence) when each training
point is left out, by one estimator."""

from influential import models
from influential.core import io, job
from influential.influence import estimators
from influential.testpoints import cross_loss
from influential.testpoints.objectives import Objective


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        point = io.read_json(snakemake.input.test_point)
        name, position = snakemake.wildcards.estimator, point["test_position"]
        model = models.from_meta(meta)
        objective = cross_loss.bind(Objective.from_config(point["objective"]), model, dataset)
        estimator = estimators.from_files(name, snakemake.params.settings, model, theta, dataset.train, snakemake.input)
        x, y = dataset.test.x[[position]], dataset.test.y[[position]]
        change = estimator.change_if_removed(x, y, objective)[0]
        log.info(
            "%s on %s: predicted changes of its %s from %.3g to %.3g",
            *(name, point["test"], point["objective_label"], change.min(), change.max()),
        )
        io.write_table(estimators.table(dataset.train, name, point["test"], change), snakemake.output.table)
        io.write_json({"test": point["test"], **estimator.diagnostics[0]}, snakemake.output.diagnostics)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
