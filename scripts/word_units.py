"""The units each estimator finds most influential on each objective, as text with their document and genre."""

import pandas as pd

from influential.core import io, job
from influential.data import corpus
from influential.text import ground_truth


def main(snakemake):
    with job.run(snakemake):
        units = corpus.Corpus.load(snakemake.input.corpus)
        texts = corpus.unit_texts(units, corpus.read(snakemake.params.corpus, snakemake.input.source))
        predicted = pd.concat([io.read_table(path) for path in snakemake.input.predicted], ignore_index=True)
        actual = io.read_table(snakemake.input.actual) if snakemake.input.actual else pd.DataFrame()
        table = ground_truth.influential_units(predicted, actual, texts, units, snakemake.params.top)
        io.write_table(table, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
