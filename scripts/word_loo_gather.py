"""Every retrained unit's measured change of every objective, from the stored models' word vectors."""

from pathlib import Path

from influential.core import io, job
from influential.data.corpus import Corpus
from influential.loo import plan
from influential.text import ground_truth, objectives


def main(snakemake):
    with job.run(snakemake) as log:
        vocabulary = Corpus.load(snakemake.input.corpus).vocabulary
        _, meta = io.load_model(snakemake.input.model)
        bound = objectives.load_bound(snakemake.input.objectives, vocabulary, snakemake.input.model)
        chunks = {Path(path).stem: plan.read_chunk(path) for path in snakemake.input.chunks}
        selected = io.read_table(snakemake.input.selected)
        actual = ground_truth.actual_changes(chunks, bound, meta["vocabulary_size"], meta["dim"], selected)
        log.info("%d measured changes from %d chunks", len(actual), len(chunks))
        io.write_table(actual, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
