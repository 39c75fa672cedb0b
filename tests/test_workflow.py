"""The workflow through the Snakemake command line, in temporary directories, on tiny configs."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.special import expit

from influential import loo
from influential.evaluation import ACTUAL

from .conftest import REPO

SNAKEMAKE = Path(sys.executable).parent / "snakemake"

TINY = {
    "experiments": {
        "tiny_synthetic": {
            "dataset": {"source": "synthetic", "split": {"n_train": 60, "n_validation": 0, "n_test": 20, "seed": 1}},
            "model": {"kind": "logistic_regression", "C": 1.0},
            "test_points": [
                {"name": "a", "select": "index", "index": 0},
                {"name": "b", "select": "first_correct", "label": 1},
            ],
        },
        "tiny_digits": {
            "dataset": {
                "source": "mnist_bundled",
                "classes": [1, 7],
                "split": {"n_train": 40, "n_validation": 10, "n_test": 20, "seed": 0},
            },
            "model": {"kind": "logistic_regression", "C": 0.02},
            "test_points": [{"name": "a", "select": "first_correct", "label": 0}],
        },
        "tiny_cnn": {
            "dataset": {
                "source": "mnist_bundled",
                "split": {"n_train": 40, "n_validation": 10, "n_test": 15, "seed": 0},
            },
            "model": {"kind": "all_cnn"},
            "training": {"steps": 30, "batch_size": 20, "learning_rate": 0.003, "schedule": [], "log_every": 10},
            "influence": {
                "estimators": ["exact", "cg", "lissa"],
                "damping": 2.0,  # the barely trained net has eigenvalues down to about -1.4
                "cg": {"tol": 1e-4, "max_iter": 30},
                "lissa": {"scale": 50.0, "depth": 100, "batch_size": 10},
                "all_pairs": True,
            },
            "test_points": [
                {"name": "first", "select": "index", "index": 0},
                {"name": "second", "select": "index", "index": 1},
            ],
            "loo": {"method": "warm_start", "k": 4, "chunk_size": 2, "steps": 10, "batch_size": 20},
            "embeddings": {
                "bootstrap": {"resamples": 200},
                "tsne": {"max_iter": 250},
                "ann": {"hidden": 8, "depth": 2, "epochs": 20, "batch_size": 4},
            },
        },
    }
}
RULES = ["dataset", "train", "test_points", "train_gradients", "hessian", "compare_estimators", "plot_dataset"]
LOO_RULES = ["loo_refit", "evaluate"]


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SNAKEMAKE, "--snakefile", REPO / "Snakefile", "--directory", workdir, "--cores", "2", *args],
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("tiny")
    (workdir / "config.yaml").write_text(yaml.safe_dump(TINY))
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir / "results"


@pytest.mark.workflow
def test_predicted_influence_is_the_closed_form_of_the_saved_model(tiny_run):
    exp = tiny_run / "tiny_synthetic"
    with np.load(exp / "data" / "dataset.npz") as d:
        x, y, index, x_test, y_test = d["x_train"], d["y_train"], d["index_train"], d["x_test"], d["y_test"]
    with np.load(exp / "model" / "model.npz") as m:
        theta = m["theta"]
    assert len(y) == 61 and index[-1] == 80  # 60 drawn points + the outlier, whose source index is n = 80
    points = pd.read_csv(exp / "test_points.csv").set_index("test")
    assert points.loc["a", "test_position"] == 0 and points.loc["b", "label"] == 1 == points.loc["b", "predicted"]

    a = np.hstack([x, np.ones((len(x), 1))]).astype(np.float64)
    p = expit(a @ theta)
    h = a.T @ (a * (p * (1 - p))[:, None]) / len(y) + np.diag([1.0, 1.0, 0.0]) / len(y)
    for name in ("a", "b"):
        table = pd.read_parquet(exp / "influence" / "exact" / f"{name}.parquet")
        assert table.columns.tolist() == [
            "estimator",
            "test",
            "train_position",
            "train_index",
            "label",
            "pred_loss_change_if_removed",
        ]
        assert np.array_equal(table["train_index"], index) and np.array_equal(table["label"], y)
        pos = points.loc[name, "test_position"]
        b = np.append(x_test[pos], 1.0)
        g_test = (expit(b @ theta) - y_test[pos]) * b
        expected = (a * (p - y)[:, None]) @ np.linalg.solve(h, g_test) / len(y)
        np.testing.assert_allclose(table["pred_loss_change_if_removed"], expected, rtol=1e-6, atol=1e-10)


@pytest.mark.workflow
def test_leave_one_out_and_agreement_tables(tiny_run):
    for exp, n_train, tests in [("tiny_synthetic", 61, ["a", "b"]), ("tiny_digits", 40, ["a"])]:
        actual = pd.read_parquet(tiny_run / exp / "loo" / "actual.parquet")
        assert len(actual) == n_train * len(tests) and actual["converged"].all()
        agreement = pd.read_csv(tiny_run / exp / "tables" / "agreement.csv")
        assert agreement["test"].tolist() == tests and (agreement["n"] == n_train).all()
        assert (agreement["pearson"] > 0.95).all(), agreement
        joined = pd.read_parquet(tiny_run / exp / "tables" / "influence_vs_loo.parquet")
        assert len(joined) == n_train * len(tests)
    synthetic = pd.read_csv(tiny_run / "tiny_synthetic" / "tables" / "agreement.csv")
    assert synthetic["outlier_rank_by_abs_actual"].between(1, 61).all()


@pytest.mark.workflow
def test_figures_logs_and_benchmarks(tiny_run):
    for exp in ("tiny_synthetic", "tiny_digits"):
        for figure in ("dataset.png", "influence_vs_loo_exact.png"):
            image = matplotlib.image.imread(tiny_run / exp / "figures" / figure)
            assert image.shape[0] > 250 and image.shape[1] > 800 and image.std() > 0.05  # a drawn, non-blank PNG
        for rule in RULES + LOO_RULES:
            assert (tiny_run / exp / "benchmarks" / f"{rule}.tsv").read_text().startswith("s\th:m:s")
        assert "leave-one-out refits: 40 of 40" in (tiny_run / "tiny_digits" / "logs" / "loo_refit.log").read_text()
        assert "fitting logistic_regression" in (tiny_run / exp / "logs" / "train.log").read_text()


@pytest.mark.workflow
def test_rerun_has_nothing_to_do(tiny_run):
    result = snakemake(tiny_run.parent)
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


@pytest.mark.workflow
def test_report_holds_every_figure(tiny_run):
    report = tiny_run.parent / "report.html"
    result = snakemake(tiny_run.parent, "--report", str(report))
    assert result.returncode == 0, result.stderr[-2000:]
    html = report.read_text()
    for exp in ("tiny_synthetic", "tiny_digits"):
        for figure in ("dataset.png", "influence_vs_loo_exact.png", "agreement.csv", "spectrum.json"):
            assert f"results/{exp}/" in html and figure in html


def test_bad_config_stops_before_any_job_with_one_line(tmp_path):
    config = yaml.safe_load(yaml.safe_dump(TINY))
    config["experiments"]["tiny_digits"]["training"] = {"max_iter": -3}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "config: experiments.tiny_digits.training.max_iter: -3 is less than the minimum of 1"
    )
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("preset", [[], ["--configfile", "presets/paper.yaml"]], ids=["default", "paper"])
def test_dry_run_resolves_the_dag(tmp_path, preset):
    shutil.copy(REPO / "config.yaml", tmp_path)
    shutil.copytree(REPO / "presets", tmp_path / "presets")
    result = snakemake(tmp_path, "-n", *preset)
    assert result.returncode == 0, result.stderr[-2000:]
    for rule in [*RULES, *LOO_RULES, "influence", "plot_influence_vs_loo"]:
        assert f"rule {rule}:" in result.stdout


@pytest.mark.workflow
def test_cnn_estimators_all_pairs_and_training(tiny_run):
    exp = tiny_run / "tiny_cnn"
    comparison = pd.read_csv(exp / "tables" / "estimators.csv").query("test == 'first'")
    assert sorted(comparison["estimator"]) == ["cg", "exact", "lissa"] and (comparison["reference"] == "exact").all()
    rows = comparison.set_index("estimator")
    assert rows.loc["exact", "relative_residual"] < 1e-4 and rows.loc["cg", "pearson_with_reference"] > 0.999
    with np.load(exp / "influence" / "all_pairs.npz") as pairs:
        matrix, train_index = pairs["pred_loss_change_if_removed"], pairs["train_index"]
    assert matrix.shape == (15, 40) and matrix.dtype == np.float32
    exact = pd.read_parquet(exp / "influence" / "exact" / "first.parquet")
    assert np.array_equal(exact["train_index"], train_index)
    np.testing.assert_allclose(matrix[0], exact["pred_loss_change_if_removed"], rtol=1e-4, atol=1e-9)
    log = pd.read_csv(exp / "model" / "training_log.csv")
    assert log["step"].tolist() == [10, 20, 30]
    with np.load(exp / "model" / "model.npz") as model:
        assert model["theta"].shape == (2616,) and int(model["adam_step"]) == 30
    spectrum = json.loads((exp / "hessian" / "spectrum.json").read_text())
    assert spectrum["n_params"] == 2616 and spectrum["damping"] == 2.0 and spectrum["damped_positive_definite"]
    assert matplotlib.image.imread(exp / "figures" / "training.png").std() > 0.05


def chunk_files(exp: Path) -> dict[str, Path]:
    return {path.stem: path for path in sorted((exp / "loo" / "chunks").glob("*.parquet"))}


@pytest.mark.workflow
def test_cnn_leave_one_out_fan_out(tiny_run):
    exp = tiny_run / "tiny_cnn"
    selected = pd.read_csv(exp / "loo" / "selected.csv")
    assert len(selected) == 8 and (selected["side"] == "positive").sum() == 4
    union = sorted(set(selected["train_position"]))
    plan = pd.read_csv(exp / "loo" / "plan.csv")
    assert sorted(plan["train_position"]) == union and plan.groupby("chunk").size().max() == 2
    chunks = chunk_files(exp)
    assert sorted(chunks) == sorted(set(plan["chunk"])) and len(chunks) == (len(union) + 1) // 2
    for name, path in chunks.items():
        table = pd.read_parquet(path)
        left_out = table.loc[table["model"] == "left_out", "train_position"].tolist()
        assert left_out == plan.loc[plan["chunk"] == name, "train_position"].tolist()
        assert name == loo.chunk_name(left_out) and len(table["test_losses"].iloc[0]) == 15
        assert "SLURM job (none)" in (exp / "logs" / "loo" / f"{name}.log").read_text()
    # every retrained model serves both test points; each test point is judged on its own top k
    actual = pd.read_parquet(exp / "loo" / "actual.parquet")
    assert (
        len(actual) == 2 * len(union) and (actual["protocol"] == "warm_start").all() and (actual["steps"] == 10).all()
    )
    flagged = actual.loc[actual["selected"], ["train_position", "test"]].sort_values(["train_position", "test"])
    assert (
        flagged.values.tolist()
        == selected.sort_values(["train_position", "test"])[["train_position", "test"]].values.tolist()
    )
    agreement = pd.read_csv(exp / "tables" / "agreement.csv")
    assert set(agreement["actual"]) == {"paired", "raw"} and (agreement["n"] == 4).all()
    assert set(agreement["test"]) == {"first", "second"}


def jobs_to_run(workdir: Path) -> dict[str, int]:
    """Rule -> job count from a dry run's job statistics."""
    stdout = snakemake(workdir, "-n").stdout
    counts = {}
    for line in stdout.split("Job stats:")[-1].splitlines()[3:]:
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "all"):
            counts[parts[0]] = int(parts[1])
    return counts


@pytest.mark.workflow
def test_a_lost_chunk_is_the_only_one_retrained(tiny_run):
    exp = tiny_run / "tiny_cnn"
    before = pd.read_parquet(exp / "loo" / "actual.parquet")
    lost = next(iter(chunk_files(exp).values()))
    lost.unlink()
    planned = jobs_to_run(tiny_run.parent)
    assert planned["loo_chunk"] == 1 and "train" not in planned and "loo_select" not in planned
    downstream = {"loo_gather", "evaluate", "plot_influence_vs_loo", "embedding_metrics", "embedding_tables"}
    assert set(planned) <= {"loo_chunk", *downstream, "learned_metric", "plot_embeddings"}
    result = snakemake(tiny_run.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    assert lost.exists()
    pd.testing.assert_frame_equal(
        pd.read_parquet(exp / "loo" / "actual.parquet").drop(columns="seconds"), before.drop(columns="seconds")
    )


@pytest.mark.workflow
def test_raising_k_only_adds_chunks(tiny_run, tmp_path):
    workdir = tmp_path / "copy"
    shutil.copytree(tiny_run.parent, workdir, symlinks=True)
    exp = workdir / "results" / "tiny_cnn"
    before = {name: path.stat().st_mtime_ns for name, path in chunk_files(exp).items()}
    old = pd.read_parquet(exp / "loo" / "actual.parquet")
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    config["experiments"]["tiny_cnn"]["loo"]["k"] = 6
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-2000:]
    after = chunk_files(exp)
    assert {name: after[name].stat().st_mtime_ns for name in before} == before  # not one chunk redone
    assert len(after) > len(before)
    assert len(pd.read_csv(exp / "loo" / "selected.csv")) == 12
    new = pd.read_parquet(exp / "loo" / "actual.parquet")
    kept = new.merge(old, on=["test", "train_position"], suffixes=("", "_old"))
    assert len(kept) == len(old)
    np.testing.assert_array_equal(kept[ACTUAL], kept[f"{ACTUAL}_old"])


EMBEDDING_FIGURES = [
    "influential_images",
    "pixel_cosine",
    "pixel_vs_embedding",
    "nearest_furthest",
    "embedding_cosine",
    "class_boxplots",
    "outliers",
    "centroid_relationship",
    "mahalanobis",
    "learned_metric",
]


@pytest.mark.workflow
def test_embedding_space_analysis(tiny_run):
    exp = tiny_run / "tiny_cnn"
    with np.load(exp / "embeddings" / "h2_c.npz") as layer:
        assert layer["train"].shape == (40, 128) and layer["test"].shape == (15, 128)
    metrics = pd.read_parquet(exp / "metrics" / "first.parquet")
    assert len(metrics) == 8 * 40 and metrics.groupby("layer")["outlier"].sum().min() >= 1
    logits = metrics[metrics["layer"] == "logits"]
    assert logits["selected"].sum() == 4 and logits["actual_loss_change_if_removed"].notna().sum() >= 4

    correlations = pd.read_csv(exp / "tables" / "embedding_correlations.csv")
    assert len(correlations) == 2 * 8 * (4 + 3) and (correlations["n"] == 4).all()
    assert set(correlations["quantity"]) == {
        "pixel_cosine", "embedding_cosine", "mahalanobis", "centroid_relationship",
        "predicted_exact", "predicted_cg", "predicted_lissa",
    }  # fmt: skip
    compact = pd.read_csv(exp / "tables" / "table_5_1.csv")
    assert compact.columns.tolist()[1:] == ["first", "second"] and len(compact) == 5
    assert "| predicted influence" in (exp / "tables" / "table_5_1.md").read_text()
    overlap = pd.read_csv(exp / "tables" / "mahalanobis_overlap.csv")
    assert overlap["k"].tolist() == [4, 4] and (overlap["overlap"] <= 4).all()

    summary = json.loads((exp / "learned_metric" / "first.json").read_text())
    assert summary["n_train"] + summary["n_heldout"] == logits["actual_loss_change_if_removed"].notna().sum()
    assert (exp / "embeddings" / "projector" / "projector_config.pbtxt").exists()
    assert len((exp / "embeddings" / "projector" / "metadata.tsv").read_text().splitlines()) == 1 + 40 + 15
    for test in ("first", "second"):
        for figure in EMBEDDING_FIGURES:
            assert matplotlib.image.imread(exp / "figures" / "embedding" / test / f"{figure}.png").std() > 0.02
    assert matplotlib.image.imread(exp / "figures" / "embedding" / "tsne.png").std() > 0.02


@pytest.mark.workflow
def test_report_carries_every_figure_and_table(tiny_run):
    result = snakemake(tiny_run.parent, "--report", "report.html")
    assert result.returncode == 0, result.stderr[-2000:]
    html = (tiny_run.parent / "report.html").read_text()
    figures = sorted(tiny_run.glob("*/figures/**/*.png"))
    assert len(figures) > 2 * len(EMBEDDING_FIGURES)
    for path in figures:
        assert str(path.relative_to(tiny_run.parent)) in html, path
    for table in ("table_5_1.csv", "embedding_correlations.csv", "mahalanobis_overlap.csv", "agreement.csv"):
        assert f"results/tiny_cnn/tables/{table}" in html
