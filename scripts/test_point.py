"""Resolve one configured test point (an index or a rule) against the trained model's test predictions."""

from influential.core import io, job, names
from influential.testpoints import selection
from influential.testpoints.objectives import Objective


def main(snakemake):
    with job.run(snakemake) as log:
        spec = snakemake.params.spec
        objective = Objective.from_config(spec.get("objective"))
        point = {
            **selection.resolve(spec, io.read_table(snakemake.input.predictions, names.PREDICTIONS)),
            "objective": objective.to_config(),
            "objective_label": objective.label,
        }
        log.info("test point: %s", point)
        io.write_json(point, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
