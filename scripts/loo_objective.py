"""A test point's objective (other than its loss) on every stored leave-one-out model: retraining chunks or refits
keep each model's parameters, so a new objective is measured without retraining."""

from influential import models
from influential.core import io, job
from influential.loo import objectives
from influential.testpoints import cross_loss
from influential.testpoints.objectives import Objective


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        _, meta = io.load_model(snakemake.input.model)
        point = io.read_json(snakemake.input.test_point)
        objective = cross_loss.bind(Objective.from_config(point["objective"]), models.from_meta(meta), dataset)
        position = point["test_position"]
        tables = {path: io.read_table(path, ["model", "train_position", "theta"]) for path in snakemake.input.tables}
        values = objectives.on_models(objective, dataset.test.x[[position]], dataset.test.y[[position]], tables)
        log.info("%s of %s on %d stored models", point["objective_label"], point["test"], len(values))
        io.write_table(values, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
