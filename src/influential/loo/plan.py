"""Which training points to retrain, and in which jobs: per test point the k/2 most positive and k/2 most negative by
predicted influence, the union over test points, cut into chunks named after their left-out positions."""

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from influential.core import io
from influential.core.names import CHUNK_PATTERN, PREDICTED

CHUNK_NAME = re.compile(CHUNK_PATTERN)


def ranked_for_retraining(predicted: pd.DataFrame) -> pd.DataFrame:
    """One test point's training points in retraining order: most positive, most negative, second most positive,
    ... (so the first k rows are the thesis' k/2 + k/2), with their rank."""
    by_value = predicted.sort_values([PREDICTED, "train_position"], ascending=[False, True])
    positive = by_value[by_value[PREDICTED] > 0]
    negative = by_value[by_value[PREDICTED] <= 0].iloc[::-1]
    order = []
    for i in range(max(len(positive), len(negative))):
        order += [frame.iloc[i : i + 1] for frame in (positive, negative) if i < len(frame)]
    ranked = pd.concat(order, ignore_index=True) if order else by_value.iloc[:0]
    return ranked.assign(rank=np.arange(len(ranked)), side=np.where(ranked[PREDICTED] > 0, "positive", "negative"))


def selection(predicted_by_test: dict[str, pd.DataFrame], k: int) -> pd.DataFrame:
    """The union over test points of the top k by predicted influence (k/2 most positive, k/2 most negative)."""
    rows = [ranked_for_retraining(table).head(k).assign(test=test) for test, table in predicted_by_test.items()]
    chosen = pd.concat(rows, ignore_index=True)
    columns = ["train_position", "train_index", "label", "test", "rank", "side", PREDICTED]
    return chosen[columns].sort_values(["train_position", "test"], ignore_index=True)


def chunk_name(positions) -> str:
    """A chunk's name, derived from its left-out training positions: first, last, and a digest of them all."""
    positions = sorted(int(p) for p in positions)
    digest = hashlib.sha1(",".join(map(str, positions)).encode()).hexdigest()[:8]
    return f"{positions[0]:05d}-{positions[-1]:05d}-{digest}"


def plan_chunks(wanted, retrained: dict[str, list[int]], size: int) -> pd.DataFrame:
    """Assign every wanted training position to a chunk (columns train_position, chunk).

    Chunks already retrained (`retrained`: name -> positions) are kept whole while one of their points is still
    wanted, so raising k or adding test points only adds chunks; the remaining positions are cut, in ascending
    order, into chunks of `size`. A lost chunk's points come back as the same chunk.
    """
    wanted, covered, rows = {int(p) for p in wanted}, set(), []
    for name, positions in sorted(retrained.items()):
        positions = {int(p) for p in positions}
        if positions & wanted and not positions & covered:
            rows += [(p, name) for p in sorted(positions)]
            covered |= positions
    rest = sorted(wanted - covered)
    for i in range(0, len(rest), size):
        rows += [(p, chunk_name(rest[i : i + size])) for p in rest[i : i + size]]
    return pd.DataFrame(rows, columns=["train_position", "chunk"]).sort_values(
        ["chunk", "train_position"], ignore_index=True
    )


CHUNK_COLUMNS = ["model", "train_position", "test_losses"]


def read_chunk(path: str | Path) -> pd.DataFrame:
    """A retraining chunk's table. One that cannot be read, or whose left-out points are not those its name says,
    stops with the file's name and what to do (a killed job never leaves one: writes are atomic)."""
    chunk = io.read_table(path, columns=CHUNK_COLUMNS)
    positions = left_out_positions(chunk)
    if not positions or chunk_name(positions) != Path(path).stem:
        raise io.CorruptFileError(
            f"{path}: holds the left-out points {positions}, not the ones its name stands for; delete it and rerun "
            "snakemake to retrain them"
        )
    return chunk


def retrained_chunks(folder: str | Path) -> dict[str, list[int]]:
    """Left-out positions of the chunks already in `folder`, by name."""
    return {
        path.stem: left_out_positions(read_chunk(path))
        for path in sorted(Path(folder).glob("*.parquet"))
        if CHUNK_NAME.fullmatch(path.stem)
    }


def left_out_positions(chunk: pd.DataFrame) -> list[int]:
    return chunk.loc[chunk["model"] == "left_out", "train_position"].tolist()
