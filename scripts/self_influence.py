"""Every training point scored for how likely its label is wrong, by one ranker: an estimator's self-influence or
a baseline (the training loss, a random order)."""

import numpy as np

from influential import models
from influential.core import io, job
from influential.core.names import RANDOM, TRAINING_LOSS
from influential.influence import estimators
from influential.mislabel import ranking as mislabel


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        model, train, ranker = models.from_meta(meta), dataset.train, snakemake.wildcards.ranker
        if ranker == TRAINING_LOSS:
            scores = model.losses(theta, train.x, train.y)
        elif ranker == RANDOM:
            scores = np.random.default_rng(snakemake.params.settings["seed"]).random(len(train))
        else:
            estimator = estimators.from_files(ranker, snakemake.params.settings, model, theta, train, snakemake.input)
            scores = estimator.self_influence()
        log.info("%s: scores from %.3g to %.3g over %d training points", ranker, scores.min(), scores.max(), len(train))
        io.write_table(mislabel.ranking_table(train, ranker, scores), snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
