"""t-SNE of the logits embedding, coloured by predicted class, test points marked (thesis figure 5.8)."""

from influential.core import io, job
from influential.figures import embedding as embedding_figures
from influential.figures import plots


def main(snakemake):
    with job.run(snakemake):
        table = io.read_table(snakemake.input.tsne)
        highlight = {row.point: i for i, row in enumerate(table.itertuples()) if row.point}
        figure = embedding_figures.tsne(
            table[["x", "y"]].to_numpy(),
            table["predicted"].to_numpy(),
            highlight,
            f"t-SNE of the logits ({snakemake.wildcards.exp})",
        )
        plots.save(figure, snakemake.output[0], snakemake.params.figures["dpi"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
