"""Reading and writing the workflow's artifacts. Every write is atomic: a temporary file in the target's folder,
renamed into place when complete, so a killed job never leaves a file that looks finished."""

import contextlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from influential.data import Dataset, Split


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


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """Parquet or CSV, chosen by the file's suffix."""
    with atomic_path(path) as tmp:
        if Path(path).suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False, float_format="%.10g")


def read_table(path: str | Path) -> pd.DataFrame:
    return pd.read_parquet(path) if Path(path).suffix == ".parquet" else pd.read_csv(path)


def write_text(text: str, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(obj, path: str | Path) -> None:
    write_text(json.dumps(obj, indent=2, sort_keys=True, default=_plain) + "\n", path)


def _plain(value):
    """numpy scalars and arrays as JSON numbers and lists."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def read_json(path: str | Path):
    return json.loads(Path(path).read_text())


def save_arrays(path: str | Path, **arrays) -> None:
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)


def load_arrays(path: str | Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def save_figure(fig, path: str | Path, dpi: int = 150) -> None:
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    plt.close(fig)


def save_dataset(dataset: Dataset, path: str | Path) -> None:
    arrays = {}
    for name in Dataset.SPLITS:
        split = getattr(dataset, name)
        arrays |= {f"x_{name}": split.x, f"y_{name}": split.y, f"index_{name}": split.index}
    save_arrays(path, meta=np.array(json.dumps(dataset.meta)), **arrays)


def load_dataset(path: str | Path) -> Dataset:
    a = load_arrays(path)
    splits = {name: Split(a[f"x_{name}"], a[f"y_{name}"], a[f"index_{name}"]) for name in Dataset.SPLITS}
    return Dataset(**splits, meta=json.loads(str(a["meta"])))


@contextlib.contextmanager
def log_to(path: str | Path) -> Iterator[logging.Logger]:
    """Send the library's progress messages (and any uncaught error) to a job's log file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield logging.getLogger("influential")
    except Exception as err:
        logging.getLogger("influential").error("%s: %s", type(err).__name__, err)
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        raise
    finally:
        root.removeHandler(handler)
        handler.close()


def save_model(path: str | Path, theta: np.ndarray, meta: dict, optimizer=None) -> None:
    """Parameters, what rebuilds the model, and (for Adam) the optimizer state that warm starts continue from."""
    state = {} if optimizer is None else {"adam_m": optimizer.m, "adam_v": optimizer.v, "adam_step": optimizer.step}
    save_arrays(path, theta=theta, meta=np.array(json.dumps(meta)), **state)


def load_model(path: str | Path) -> tuple[np.ndarray, dict]:
    a = load_arrays(path)
    return a["theta"], json.loads(str(a["meta"]))


def load_optimizer(path: str | Path):
    from influential.training import AdamState

    a = load_arrays(path)
    return AdamState(a["adam_m"], a["adam_v"], int(a["adam_step"]))


def save_factorised(path: str | Path, hessian: np.ndarray, factorised) -> None:
    save_arrays(
        path,
        hessian=hessian,
        eigenvalues=factorised.eigenvalues,
        eigenvectors=factorised.eigenvectors,
        damping=np.array(factorised.damping),
    )


def load_factorised(path: str | Path):
    from influential.hessian import FactorisedHessian

    a = load_arrays(path)
    return FactorisedHessian(a["eigenvalues"], a["eigenvectors"], float(a["damping"]))
