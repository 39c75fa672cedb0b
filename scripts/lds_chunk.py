"""One chunk of the linear datamodeling score's subsets: each subset's model trained as the experiment's model was,
on that subset alone, with its parameters and test losses."""

from influential import models
from influential.core import io, job
from influential.lds import subsets, train


def main(snakemake):
    with job.run(snakemake):
        dataset = io.load_dataset(snakemake.input.dataset)
        _, meta = io.load_model(snakemake.input.model)
        chunk = subsets.Chunk.parse(snakemake.wildcards.subsets)
        settings = snakemake.params.settings
        table = train.train_chunk(models.from_meta(meta), dataset, settings["training"], chunk, settings["seeds"])
        io.write_table(table, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
