"""Each objective's words checked against the vocabulary: the words kept and dropped, per role."""

from influential.core import io, job
from influential.data.corpus import Corpus
from influential.text import objectives


def main(snakemake):
    with job.run(snakemake) as log:
        vocabulary = Corpus.load(snakemake.input[0]).vocabulary
        records = [objectives.resolve(config, vocabulary) for config in snakemake.params.objectives]
        for record in records:
            log.info("%s (%s): %s", record["name"], record["kind"], [len(role["words"]) for role in record["roles"]])
        io.write_json(records, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
