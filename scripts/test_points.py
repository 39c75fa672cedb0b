"""Resolve the configured test points (indices or rules) against the trained model."""

from influential import io, models, selection


def main(snakemake):
    with io.log_to(snakemake.log[0]) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        chosen = selection.select(snakemake.params.test_points, models.from_meta(meta), theta, dataset.test)
        log.info("test points:\n%s", chosen.to_string(index=False))
        io.write_table(chosen, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
