"""What fixing buys: the top share of each ranking fixed (its flipped labels restored, or its points dropped), the
model trained again, and its test accuracy and loss; beside them, nothing fixed and everything fixed."""

from influential.core import io, job
from influential.mislabel import fix


def main(snakemake):
    with job.run(snakemake):
        dataset = io.load_dataset(snakemake.input.dataset)
        scores = {}
        for path in snakemake.input.rankings:
            table = io.read_table(path, ["ranker", "train_position", "score"]).sort_values("train_position")
            scores[table["ranker"].iloc[0]] = table["score"].to_numpy()
        table = fix.fix_and_retrain(
            dataset,
            scores,
            snakemake.params.share,
            snakemake.params.protocols,
            snakemake.params.model,
            snakemake.params.training,
        )
        io.write_table(table, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
