"""Every removed set's measured change of every objective against each estimator's prediction (the sum of its
units', and for block and exact the objective under their joint change), and their agreement across sets."""

import pandas as pd

from influential.core import io, job
from influential.data.corpus import Corpus
from influential.models.skipgram_layout import SkipGramLayout
from influential.text import estimators, groups, objectives
from influential.text.pairs import Pairs


def main(snakemake):
    with job.run(snakemake) as log:
        vocabulary = Corpus.load(snakemake.input.corpus).vocabulary
        theta, meta = io.load_model(snakemake.input.model)
        bound = objectives.load_bound(snakemake.input.objectives, vocabulary, snakemake.input.model)
        sets = io.read_table(snakemake.input.sets, ["set", "selected_by", "direction", "size", "units"])
        runs = pd.concat([io.read_table(path) for path in snakemake.input.runs], ignore_index=True)
        actual = groups.actual_changes(runs, bound, meta["vocabulary_size"], meta["dim"])
        predicted = pd.concat([io.read_table(path) for path in snakemake.input.predicted], ignore_index=True)
        frames = [groups.linear_predictions(sets, predicted)]
        model = SkipGramLayout.from_pairs(meta, Pairs.load(snakemake.input.pairs))
        for name, settings in snakemake.params.shifted.items():
            frames += [estimators.group_shifted(name, model, theta, o, sets, settings) for o in bound]
        table = groups.summary(sets, actual, pd.concat(frames, ignore_index=True))
        agreement = groups.agreement(table)
        log.info("group agreement:\n%s", agreement.to_string(index=False))
        io.write_table(actual, snakemake.output.actual)
        io.write_table(table, snakemake.output.table)
        io.write_table(agreement, snakemake.output.agreement)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
