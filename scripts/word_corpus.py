"""A corpus' training units over its vocabulary, and the Skip-gram pairs and negatives of every unit."""

from influential.core import io, job
from influential.data import corpus
from influential.text import pairs


def main(snakemake):
    with job.run(snakemake) as log:
        settings, signal = snakemake.params.corpus, snakemake.params.pairs
        units = corpus.build(corpus.read(settings, snakemake.input[0]), settings["min_count"], settings["unit"])
        training = pairs.generate(units, signal["window"], signal["negatives"], signal["subsample"], signal["seed"])
        summary = units.summary() | {"pairs": len(training.centre), "units_without_pairs": training.n_empty}
        log.info("corpus: %s", summary)
        units.save(snakemake.output.corpus)
        training.save(snakemake.output.pairs)
        io.write_json(summary, snakemake.output.summary)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
