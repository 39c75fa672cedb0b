"""Training curves of an Adam-trained model."""

from influential import io, plots


def main(snakemake):
    with io.log_to(snakemake.log[0]):
        io.save_figure(plots.training_curves(io.read_table(snakemake.input[0])), snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
