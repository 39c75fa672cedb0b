"""One retraining job: the models leaving out ranks [start, start + chunk_size) of one test point, plus a control."""

import os

from influential import io, loo, models, training


def main(snakemake):
    with io.log_to(snakemake.log[0]) as log:
        log.info("SLURM job %s on %s", os.environ.get("SLURM_JOB_ID", "(none)"), os.uname().nodename)
        settings = snakemake.params.loo
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        chosen = io.read_table(snakemake.input.test_points)
        start = int(snakemake.wildcards.start)
        count = min(settings["chunk_size"], settings["k"] - start)
        positions = loo.chunk_positions(io.read_table(snakemake.input.predicted), start, count)
        log.info("leaving out training positions %s", positions.tolist())
        table = loo.retrain_chunk(
            models.from_meta(meta),
            theta,
            io.load_optimizer(snakemake.input.model),
            training.AdamSettings.from_config(snakemake.params.training),
            dataset.train,
            dataset.test.take(chosen["test_position"].to_numpy()),
            chosen["test"].tolist(),
            positions,
            loo.RetrainSettings.from_config(settings),
        )
        io.write_table(table, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
