import numpy as np
import pandas as pd
import pytest

from influential.core import io
from influential.data.splits import Dataset, Split


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


@pytest.mark.parametrize("suffix", [".parquet", ".npz", ".json"])
def test_a_damaged_file_is_named_with_what_to_do(tmp_path, suffix):
    path = tmp_path / f"result{suffix}"
    if suffix == ".npz":
        io.save_arrays(path, a=np.arange(1000))
    elif suffix == ".json":
        io.write_json({"a": list(range(100))}, path)
    else:
        io.write_table(pd.DataFrame({"a": range(100)}), path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3] + b"\x00garbage\x00")
    read = {".npz": io.load_arrays, ".json": io.read_json}.get(suffix, io.read_table)
    with pytest.raises(io.CorruptFileError) as info:
        read(path)
    message = str(info.value)
    assert message.startswith(f"{path}: cannot be read (") and "\n" not in message
    assert message.endswith("it is damaged or incomplete: delete it and rerun snakemake to make it again")


def test_a_table_without_the_columns_a_stage_needs_is_named(tmp_path):
    path = tmp_path / "chunk.parquet"
    io.write_table(pd.DataFrame({"model": ["left_out"]}), path)
    with pytest.raises(io.CorruptFileError, match=rf"^{path}: has no column train_position, test_losses; it was not"):
        io.read_table(path, ["model", "train_position", "test_losses"])
    with pytest.raises(FileNotFoundError):  # a missing file is Snakemake's to report
        io.read_table(tmp_path / "absent.parquet")
