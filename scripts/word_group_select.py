"""The sets of units that group removal retrains away: the chosen estimator's top increasing and decreasing units of
each objective and random sets, for every size."""

from influential.core import io, job
from influential.core.names import PREDICTED
from influential.text import groups


def main(snakemake):
    with job.run(snakemake) as log:
        predicted = io.read_table(snakemake.input.predicted, ["test", "train_position", PREDICTED])
        settings = snakemake.params.sets
        n_units = int(predicted["train_position"].max()) + 1
        sets = groups.select(
            predicted, settings["sizes"], settings["random"], settings["objectives"], settings["seed"], n_units
        )
        log.info("%d sets of %s units out of %d", len(sets), settings["sizes"], n_units)
        io.write_table(sets, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
