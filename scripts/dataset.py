"""Build an experiment's train / validation / test split from its configured source."""

from influential.core import io, job
from influential.data import sources


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = sources.build(snakemake.params.dataset, snakemake.input.get("bundled"))
        log.info(
            "%s: train %d, validation %d, test %d, input shape %s, %d classes, marked %s",
            dataset.meta["origin"],
            len(dataset.train),
            len(dataset.validation),
            len(dataset.test),
            dataset.train.x.shape[1:],
            dataset.n_classes,
            dataset.meta["marked"],
        )
        io.save_dataset(dataset, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
