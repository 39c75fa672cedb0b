"""Every training point scored for how likely its label is wrong, by one ranker: an estimator's self-influence or
its predicted change of a clean set's summed loss, or a baseline (the training loss, a random order)."""

from influential import models
from influential.core import io, job, names
from influential.influence import inputs
from influential.mislabel import ranking, scores


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        ranker, train = snakemake.wildcards.ranker, dataset.train
        estimator, _ = names.ESTIMATOR_RANKERS.get(ranker, (None, None))
        cached = inputs.load(estimator, snakemake.input, scores.LOADERS) if estimator else {}
        clean = getattr(dataset, snakemake.params.clean)
        model = models.from_meta(meta)
        score = scores.scores(ranker, snakemake.params.settings, model, theta, train, cached, clean)
        log.info("%s: scores from %.3g to %.3g over %d training points", ranker, score.min(), score.max(), len(train))
        io.write_table(ranking.ranking_table(train, ranker, score), snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
