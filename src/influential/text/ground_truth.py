"""What retraining without units did to each word objective (loo.gather's tables, from the stored models' word
vectors), and how each estimator's predictions agree with it (evaluation.agreement), linear and shifted."""

import numpy as np
import pandas as pd

from influential.core.names import ACTUAL, EVALUATIONS, PREDICTED, SHIFTED
from influential.evaluation import agreement as agreement_of
from influential.loo import gather
from influential.text.objectives import WordObjective, objective_values


def actual_changes(
    chunks: dict[str, pd.DataFrame], objectives: list[WordObjective], vocabulary_size: int, dim: int, selected
) -> pd.DataFrame:
    """Each retrained unit's change of every objective, paired (against the control) and raw (against the trained
    model), with `selected` telling the units chosen for that objective."""
    values = {
        name: objective_values(np.stack(chunk["theta"].to_numpy()), objectives, vocabulary_size, dim)
        for name, chunk in chunks.items()
    }
    return gather.changes(chunks, values, [o.name for o in objectives], selected)


def agreement(predicted: pd.DataFrame, actual: pd.DataFrame) -> pd.DataFrame:
    """Per estimator, evaluation (linear; shifted where the estimator gives parameter changes), objective and
    measurement (paired, raw): Pearson, Spearman and sign agreement over the units retrained for the objective."""
    joined = agreement_of.join(predicted, actual)
    frames = []
    for evaluation, column in EVALUATIONS.items():
        given = joined[joined[column].notna()]
        if len(given):
            table = agreement_of.agreement(given.assign(**{PREDICTED: given[column]}))
            frames.append(table.assign(evaluation=evaluation))
    columns = ["estimator", "evaluation", "test", "actual", "n", "pearson", "spearman", "sign_agreement"]
    return pd.concat(frames, ignore_index=True)[columns].rename(columns={"test": "objective"})


def influential_units(predicted: pd.DataFrame, actual: pd.DataFrame, texts: list[str], corpus, top: int):
    """Per estimator and objective the `top` units whose removal would raise the objective most and the `top` that
    would lower it most, with their document, genre, text, and the measured change where one was retrained."""
    measured = actual[["test", "train_position", ACTUAL]] if len(actual) else None
    frames = []
    for _, group in predicted.groupby(["estimator", "test"], sort=False):
        ordered = group.sort_values([PREDICTED, "train_position"], ascending=[False, True])
        for side, rows in (("increase", ordered.head(top)), ("decrease", ordered.tail(top).iloc[::-1])):
            frames.append(rows.assign(side=side, rank=np.arange(1, len(rows) + 1)))
    table = pd.concat(frames, ignore_index=True)
    document = corpus.unit_document[table["train_position"]]
    table = table.assign(
        document=corpus.documents[document],
        genre=corpus.document_genre[document],
        text=[texts[u] for u in table["train_position"]],
    )
    if measured is not None:
        table = table.merge(measured, on=["test", "train_position"], how="left")
    columns = ["estimator", "test", "side", "rank", "train_position", PREDICTED, SHIFTED, ACTUAL, "document"]
    columns += ["genre", "text"]
    table = table[[c for c in columns if c in table]]
    return table.rename(columns={"test": "objective", "train_position": "unit"})
