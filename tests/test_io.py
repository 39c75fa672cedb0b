import numpy as np
import pandas as pd
import pytest

from influential import io
from influential.data import Dataset, Split


def test_interrupted_write_leaves_no_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "table.csv"
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert not target.exists() and list(tmp_path.iterdir()) == []
    io.write_text("complete\n", target)
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "complete\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_tables_round_trip(tmp_path, suffix):
    df = pd.DataFrame({"a": [1, 2], "b": [0.5, -1.25], "c": ["x", "y"]})
    io.write_table(df, tmp_path / f"t{suffix}")
    pd.testing.assert_frame_equal(io.read_table(tmp_path / f"t{suffix}"), df)


def test_dataset_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    split = lambda n: Split(rng.random((n, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, n), np.arange(n))  # noqa: E731
    dataset = Dataset(split(5), split(0), split(3), meta={"n_classes": 10, "marked": {"outlier": [4]}})
    io.save_dataset(dataset, tmp_path / "d.npz")
    loaded = io.load_dataset(tmp_path / "d.npz")
    assert loaded.meta == dataset.meta
    for name in Dataset.SPLITS:
        for field in ("x", "y", "index"):
            np.testing.assert_array_equal(getattr(getattr(loaded, name), field), getattr(getattr(dataset, name), field))
