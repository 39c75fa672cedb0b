"""t-SNE of the logits embedding, coloured by predicted class, test points marked (thesis figure 5.8)."""

from influential import embedding_figures as plots
from influential import io


def main(snakemake):
    with io.log_to(snakemake.log[0]):
        table = io.read_table(snakemake.input.tsne)
        highlight = {row.point: i for i, row in enumerate(table.itertuples()) if row.point}
        figure = plots.tsne(
            table[["x", "y"]].to_numpy(),
            table["predicted"].to_numpy(),
            highlight,
            f"t-SNE of the logits ({snakemake.wildcards.exp})",
        )
        io.save_figure(figure, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
