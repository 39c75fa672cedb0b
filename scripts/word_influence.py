"""One estimator's predicted change of every objective for every unit of the corpus."""

import pandas as pd

from influential.core import io, job
from influential.data.corpus import Corpus
from influential.models.skipgram_layout import SkipGramLayout
from influential.text import estimators, objectives
from influential.text.pairs import Pairs
from influential.training.trajectory import Trajectory


def main(snakemake):
    with job.run(snakemake):
        name, settings = snakemake.wildcards.word_estimator, snakemake.params.settings
        corpus = Corpus.load(snakemake.input.corpus)
        theta, meta = io.load_model(snakemake.input.model)
        model = SkipGramLayout.from_pairs(meta, Pairs.load(snakemake.input.pairs))
        trajectory = Trajectory.load(snakemake.input.trajectory) if snakemake.input.trajectory else None
        tables, diagnostics = [], []
        for objective in objectives.load_bound(snakemake.input.objectives, corpus.vocabulary, snakemake.input.model):
            linear, moved, facts = estimators.predict(name, model, theta, objective, settings, trajectory)
            tables.append(estimators.table(name, objective.name, linear, moved, corpus.unit_document))
            diagnostics.append(facts)
        io.write_table(pd.concat(tables, ignore_index=True), snakemake.output.table)
        io.write_json(diagnostics, snakemake.output.diagnostics)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
