"""Reading and writing the workflow's files.

Every write is atomic: a temporary file in the target's folder, renamed into place when complete, so a killed job
never leaves a file that looks finished. Every read of a file that exists but cannot be understood (damaged,
truncated, overwritten by hand) stops with a CorruptFileError that names the file and says to delete it.
"""

import contextlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from influential.core.errors import InputError
from influential.data.splits import Dataset, Split


class CorruptFileError(InputError):
    """A file of the workflow that exists but cannot be read as what it should be."""


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `path`; it replaces `path` only if the block completes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix or path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def reading(path: str | Path) -> Iterator[None]:
    """Turn a failure to parse `path` into one line that names it and what to do. A missing file is left to the
    caller (Snakemake reports missing inputs itself)."""
    try:
        yield
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        reason = " ".join(f"{type(err).__name__}: {err}".split())
        raise CorruptFileError(
            f"{path}: cannot be read ({reason}); it is damaged or incomplete: delete it and rerun snakemake to make "
            "it again"
        ) from err


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """Parquet or CSV, chosen by the file's suffix."""
    with atomic_path(path) as tmp:
        if Path(path).suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False, float_format="%.10g")


def read_table(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A table written by write_table; `columns` that it must hold."""
    with reading(path):
        table = pd.read_parquet(path) if Path(path).suffix == ".parquet" else pd.read_csv(path)
    missing = [c for c in columns or [] if c not in table]
    if missing:
        raise CorruptFileError(
            f"{path}: has no column {', '.join(missing)}; it was not written by this workflow or is damaged: delete "
            "it and rerun snakemake to make it again"
        )
    return table


def write_text(text: str, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(obj, path: str | Path) -> None:
    write_text(json.dumps(obj, indent=2, default=_plain) + "\n", path)


def _plain(value):
    """numpy scalars and arrays as JSON numbers and lists."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def read_json(path: str | Path):
    with reading(path):
        return json.loads(Path(path).read_text())


def save_arrays(path: str | Path, **arrays) -> None:
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)


def load_arrays(path: str | Path) -> dict[str, np.ndarray]:
    with reading(path), np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def save_fields(obj, path: str | Path) -> None:
    """A dataclass of arrays, one array per field."""
    save_arrays(path, **{name: getattr(obj, name) for name in obj.__dataclass_fields__})


def load_fields(cls, path: str | Path):
    """A dataclass of arrays as save_fields stored it."""
    arrays = load_arrays(path)
    with reading(path):
        return cls(**{name: arrays[name] for name in cls.__dataclass_fields__})


def save_dataset(dataset: Dataset, path: str | Path) -> None:
    arrays = {}
    for name in Dataset.SPLITS:
        split = getattr(dataset, name)
        arrays |= {f"x_{name}": split.x, f"y_{name}": split.y, f"index_{name}": split.index}
    save_arrays(path, meta=np.array(json.dumps(dataset.meta)), **arrays)


def load_dataset(path: str | Path) -> Dataset:
    a = load_arrays(path)
    with reading(path):
        splits = {name: Split(a[f"x_{name}"], a[f"y_{name}"], a[f"index_{name}"]) for name in Dataset.SPLITS}
        return Dataset(**splits, meta=json.loads(str(a["meta"])))


def save_model(path: str | Path, theta: np.ndarray, meta: dict, **arrays) -> None:
    """Parameters, what rebuilds the model, and any further arrays (Adam's state, for warm starts)."""
    save_arrays(path, theta=theta, meta=np.array(json.dumps(meta)), **arrays)


def load_model(path: str | Path) -> tuple[np.ndarray, dict]:
    a = load_arrays(path)
    with reading(path):
        return a["theta"], json.loads(str(a["meta"]))
