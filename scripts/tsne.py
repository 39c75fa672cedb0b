"""t-SNE of the logits of the training examples and the test points."""

from influential.core import io, job
from influential.embeddings import tsne


def main(snakemake):
    with job.run(snakemake) as log:
        points = io.read_table(snakemake.input.test_points)
        table = tsne.table(io.load_arrays(snakemake.input.logits), points, snakemake.params.tsne)
        io.write_table(table, snakemake.output[0])
        log.info("t-SNE of %d points", len(table))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
