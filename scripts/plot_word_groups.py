"""The group-removal figures: predicted against actual change of every set, each chosen objective against the
number of units removed, and the words of the first chosen objective before and after its largest removal that
lowers it."""

import numpy as np
import pandas as pd

from influential.core import io, job
from influential.core.names import CONTROL_SET, DECREASE
from influential.data.corpus import Corpus
from influential.figures import plots
from influential.figures import words as word_figures


def main(snakemake):
    with job.run(snakemake):
        dpi = snakemake.params.dpi
        table, sets = io.read_table(snakemake.input.table), io.read_table(snakemake.input.sets)
        figure = word_figures.group_predicted_vs_actual(table, io.read_table(snakemake.input.agreement))
        plots.save(figure, snakemake.output.predicted, dpi)
        sizes = word_figures.objective_against_size(io.read_table(snakemake.input.actual), sets)
        plots.save(sizes, snakemake.output.sizes, dpi)
        plots.save(words_figure(snakemake, sets), snakemake.output.words, dpi)


def words_figure(snakemake, sets: pd.DataFrame):
    """The first chosen objective's words in the control and without its largest `decrease` set, in the first run
    (from scratch where one ran)."""
    vocabulary = Corpus.load(snakemake.input.corpus).vocabulary
    records = {record["name"]: record for record in io.read_json(snakemake.input.objectives)}
    decreasing = sets[sets["direction"] == DECREASE]
    chosen = decreasing[decreasing["selected_by"] == decreasing["selected_by"].iloc[0]].sort_values("size").iloc[-1]
    run = io.read_table(snakemake.input.runs[0]).set_index("set")
    dim = len(run["input_vectors"].iloc[0]) // len(vocabulary)
    ids = {w: i for i, w in enumerate(vocabulary.tolist())}
    record = records[chosen["selected_by"]]
    roles = [(role["role"].split(": ")[1], word) for role in record["roles"] for word in role["words"]]
    rows = [ids[word] for _, word in roles]
    before, after = (np.reshape(run.loc[name, "input_vectors"], (-1, dim)) for name in (CONTROL_SET, chosen.set))
    title = f"{record['name']}: without the {chosen['size']} units predicted to lower it most"
    return word_figures.words_before_after(before, after, rows, [w for _, w in roles], [r for r, _ in roles], title)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
