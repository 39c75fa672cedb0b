"""The workflow through the Snakemake command line, in temporary directories, on tiny configs."""

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats
from scipy.special import expit, logsumexp
from sklearn.metrics import roc_auc_score

from influential import models
from influential.core import config as cfg
from influential.core import io, names, provenance
from influential.derivatives import gradients
from influential.evaluation import agreement as evaluation
from influential.lds import subsets as lds_subsets
from influential.loo import plan, refit
from influential.mixture import fit as mixture
from influential.models.all_cnn import AllCNN
from influential.models.gaussian_mixture import GaussianMixture

from .conftest import REPO, digit_arrays, idx_bytes

pytestmark = pytest.mark.workflow

SNAKEMAKE = Path(sys.executable).parent / "snakemake"

TINY = {
    "experiments": {
        "tiny_synthetic": {
            "dataset": {"source": "synthetic", "split": {"n_train": 60, "n_validation": 0, "n_test": 20, "seed": 1}},
            "model": {"kind": "logistic_regression", "C": 1.0},
            "test_points": [
                {"name": "a", "select": "index", "index": 0},
                {"name": "b", "select": "first_correct", "label": 1},
                {"name": "a_margin", "select": "index", "index": 0, "objective": {"kind": "margin"}},
            ],
        },
        "tiny_noisy": {
            "dataset": {
                "source": "mnist_bundled",
                "classes": [1, 7],
                "split": {"n_train": 60, "n_validation": 10, "n_test": 40, "seed": 2},
                "label_noise": {"fraction": 0.2, "seed": 1},
            },
            "model": {"kind": "logistic_regression", "C": 0.05},
            "influence": {"estimators": ["exact", "cg"], "cg": {"tol": 1e-10, "max_iter": 100}},
            "test_points": [{"name": "a", "select": "index", "index": 0}],
            "loo": {"method": "none"},
            "mislabel": {
                "enabled": True,
                "rankers": ["exact", "cg", "exact_validation", "cg_validation", "training_loss", "random"],
                "fix": 0.25,
                "protocols": ["restore", "drop"],
            },
        },
        "tiny_digits": {  # three classes: the multinomial model
            "dataset": {
                "source": "mnist_bundled",
                "classes": [1, 7, 4],
                "split": {"n_train": 40, "n_validation": 10, "n_test": 20, "seed": 0},
            },
            "model": {"kind": "logistic_regression", "C": 0.02},
            "influence": {
                "estimators": ["exact", "arnoldi", "trak"],
                "arnoldi": {"rank": 20, "krylov": 60},
                "trak": {"projection_dim": 128, "models": 2},
            },
            "test_points": [{"name": "a", "select": "first_correct", "label": 0}],
            "loo": {"method": "refit", "sample": 30, "refit_from": "fit"},
            "lds": {"subsets": 12, "fraction": [0.5, 0.8], "chunk_size": 5},
        },
        "tiny_cnn": {
            "dataset": {
                "source": "mnist_bundled",
                "split": {"n_train": 40, "n_validation": 10, "n_test": 15, "seed": 0},
            },
            "model": {"kind": "all_cnn"},
            "training": {
                "steps": 30,
                "batch_size": 20,
                "learning_rate": 0.003,
                "schedule": [],
                "log_every": 10,
                "checkpoint_every": 10,
            },
            "influence": {
                "estimators": ["exact", "cg", "lissa", "tracin", "hydra", "hydra_free", "trak"],
                "trak": {"projection_dim": 256, "models": 2},
                "damping": 2.0,  # the barely trained net has eigenvalues down to about -1.4
                "cg": {"tol": 1e-4, "max_iter": 30},
                "lissa": {"scale": 50.0, "depth": 100, "batch_size": 10},
                "all_pairs": True,
            },
            "test_points": [
                {"name": "first", "select": "index", "index": 0},
                {"name": "second", "select": "index", "index": 1},
                {
                    "name": "first_centroid",
                    "select": "index",
                    "index": 0,
                    "objective": {"kind": "centroid_distance", "class": 3, "layer": "h3_d"},
                },
            ],
            "loo": {"method": "warm_start", "k": 4, "chunk_size": 2, "steps": 10, "batch_size": 20},
            "lds": {"subsets": 4, "fraction": 0.5, "chunk_size": 4},  # from scratch: Table 5.1's LDS rows
            "embeddings": {
                "bootstrap": {"resamples": 200},
                "tsne": {"max_iter": 250},
                "ann": {"hidden": 8, "depth": 2, "epochs": 20, "batch_size": 4},
            },
        },
    },
    "mixtures": {"tiny_mixture": {"data": {"n_per_class": 20, "seed": 1}, "figures": {"top": 3}}},
    "word_embeddings": {
        "tiny_words": {
            "corpus": {"genres": ["science_fiction"], "min_count": 10},
            "model": {"dim": 4, "window": 2, "negatives": 2},
            "training": {
                "steps": 150,
                "batch_size": 50,
                "learning_rate": 0.02,
                "schedule": [],
                "log_every": 50,
                "checkpoint_every": 50,
            },
            "objectives": [
                {
                    "name": "pronouns",
                    "kind": "weat",
                    "targets": [["he", "him"], ["she", "her", "hers"]],
                    "attributes": [["was", "had"], ["is", "are"]],
                },
                {"name": "he_moved", "kind": "movement", "word": "he"},
            ],
            "influence": {
                "estimators": ["block", "exact", "cg", "lissa", "tracin", "hydra", "hydra_free"],
                "exact": {"output_words": 10},
                "cg": {"max_iter": 20},
                "lissa": {"depth": 200, "batch_size": 50},
                "tracin": {"checkpoints": 3},
            },
            "loo": {"k": 4, "chunk_size": 4, "steps": 20, "batch_size": 50},
            "groups": {"sizes": [3, 6], "random": 2, "seeds": [0]},
            "figures": {"top": 2, "dpi": 50},
        }
    },
}
RULES = ["dataset", "train", "test_points", "derivatives", "compare_estimators", "plot_dataset"]
LOO_RULES = ["loo_refit", "loo_gather", "evaluate"]
WORKFLOW = ["Snakefile", "workflow", "scripts", "src", "resources", "envs", "profiles"]


def checkout(dest: Path) -> Path:
    """The workflow copied into `dest` and run from there: its own src/ is the library its jobs import (not the
    installed one), so a test may edit it."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(REPO / name, dest / name)
    return dest


def snakemake(workdir: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Snakemake in `workdir`, with the workflow copied there (checkout), else the repository's."""
    snakefile = workdir / "Snakefile" if (workdir / "Snakefile").exists() else REPO / "Snakefile"
    return subprocess.run(
        [SNAKEMAKE, "--snakefile", snakefile, "--directory", workdir, "--cores", "2", *args],
        capture_output=True,
        text=True,
        env=env,
    )


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    workdir = checkout(tmp_path_factory.mktemp("tiny"))
    (workdir / "config.yaml").write_text(yaml.safe_dump(TINY))
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir / "results"


def copy_of(tiny_run: Path, dest: Path) -> Path:
    """The completed tiny run (workflow, config, results and Snakemake's records) copied, for a test that changes it."""
    shutil.copytree(tiny_run.parent, dest, symlinks=True)
    return dest


def edit_config(workdir: Path, edit) -> None:
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    edit(config["experiments"])
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


def planned_jobs(workdir: Path) -> tuple[list[tuple[str, dict]], dict[str, set[str]]]:
    """A dry run's jobs (rule and wildcards) and its reasons (reason -> rules)."""
    result = snakemake(workdir, "-n")
    assert result.returncode == 0, result.stderr[-2000:]
    jobs = []
    for rule, body in re.findall(
        r"^(?:local)?(?:rule|checkpoint) (\w+):\n(.*?)(?=\n\n|\Z)", result.stdout, re.M | re.S
    ):
        found = re.search(r"wildcards: (.*)", body)
        wildcards = dict(item.split("=", 1) for item in found.group(1).split(", ")) if found else {}
        jobs.append((rule, wildcards))
    reasons = {
        reason.strip(): set(rules.replace(" ", "").split(","))
        for reason, rules in re.findall(r"^    (\S.*):\n        (.*)$", result.stdout.split("Reasons:")[-1], re.M)
    }
    return [job for job in jobs if job[0] != "all"], reasons


def planned_rules(workdir: Path) -> set[str]:
    return {rule for rule, _ in planned_jobs(workdir)[0]}


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
            names.PREDICTED,
        ]
        assert np.array_equal(table["train_index"], index) and np.array_equal(table["label"], y)
        pos = points.loc[name, "test_position"]
        b = np.append(x_test[pos], 1.0)
        g_test = (expit(b @ theta) - y_test[pos]) * b
        expected = (a * (p - y)[:, None]) @ np.linalg.solve(h, g_test) / len(y)
        np.testing.assert_allclose(table[names.PREDICTED], expected, rtol=1e-6, atol=1e-10)


def test_leave_one_out_and_agreement_tables(tiny_run):
    # every training point refitted, or a sample of 30 of the 40 (tiny_digits: loo.sample)
    for exp, n_refits, tests in [("tiny_synthetic", 61, ["a", "a_margin", "b"]), ("tiny_digits", 30, ["a"])]:
        refits = pd.read_parquet(tiny_run / exp / "loo" / "refits.parquet")
        assert (refits["model"] == "left_out").sum() == n_refits and len(refits["test_losses"].iloc[0]) == 20
        if exp == "tiny_digits":  # the sample drawn with loo.seed 0
            np.testing.assert_array_equal(refits["train_position"].iloc[:-1], refit.sampled_positions(40, 30, 0))
        actual = pd.read_parquet(tiny_run / exp / "loo" / "actual.parquet")
        assert len(actual) == n_refits * len(tests) and actual["converged"].all()
        joined = pd.read_parquet(tiny_run / exp / "tables" / "influence_vs_loo.parquet")
        agreement = pd.read_csv(tiny_run / exp / "tables" / "agreement.csv").query("actual == 'refit'")
        agreement = agreement[agreement["estimator"] == "exact"]
        agreement = agreement.set_index(["estimator", "test"])
        assert agreement.index.get_level_values("test").tolist() == tests
        for test, group in joined[joined["estimator"] == "exact"].groupby("test"):
            row = agreement.loc[("exact", test)]
            assert row["n"] == n_refits == len(group)
            assert row["pearson"] == pytest.approx(stats.pearsonr(group[names.PREDICTED], group[names.ACTUAL])[0])
            assert row["pearson"] > 0.95
    # the outlier (source index 80, the last training position) ranks by |actual| as counted here
    actual = pd.read_parquet(tiny_run / "tiny_synthetic" / "loo" / "actual.parquet")
    agreement = pd.read_csv(tiny_run / "tiny_synthetic" / "tables" / "agreement.csv").set_index("test")
    for test, group in actual.groupby("test"):
        outlier = abs(group.loc[group["train_position"] == 60, names.ACTUAL].item())
        assert agreement.loc[test, "outlier_rank_by_abs_actual"] == 1 + (group[names.ACTUAL].abs() > outlier).sum()


def test_linear_datamodeling_score_from_the_stored_subset_models(tiny_run):
    """Subset models reproduce their recorded test losses from their stored parameters and hold the recorded
    subsets; the LDS recomputed with scipy from those losses and the estimator's table; its rows in agreement.csv."""
    exp = tiny_run / "tiny_digits"
    dataset = io.load_dataset(exp / "data" / "dataset.npz")
    model = models.from_meta(io.load_model(exp / "model" / "model.npz")[1])
    chunks = sorted((exp / "lds" / "chunks").glob("*.parquet"))
    assert [c.stem for c in chunks] == [
        f"a{f}-s0-{first}" for f in ("0.5", "0.8") for first in ("00000-00005", "00005-00010", "00010-00012")
    ]
    trained = pd.concat([pd.read_parquet(c) for c in chunks], ignore_index=True)
    assert len(trained) == 24 and sorted(trained["subset"]) == sorted([*range(12)] * 2)
    for _, row in trained.iterrows():
        held = lds_subsets.subset_positions(40, row["fraction"], 0, row["subset"])
        np.testing.assert_array_equal(np.flatnonzero(row["mask"]), held)
        np.testing.assert_allclose(model.losses(row["theta"], dataset.test.x, dataset.test.y), row["test_losses"])
    position = json.loads((exp / "test_points" / "a.json").read_text())["test_position"]
    predicted = pd.read_parquet(exp / "influence" / "exact" / "a.parquet").sort_values("train_position")
    every = pd.read_csv(exp / "tables" / "lds.csv")
    assert sorted(every["estimator"].unique()) == ["arnoldi", "exact", "trak"]
    table = every.query("estimator == 'exact'").set_index("actual")
    for fraction in (0.5, 0.8):
        models_of = trained[trained["fraction"] == fraction].sort_values("subset")
        losses = [row[position] for row in models_of["test_losses"]]
        sums = [-predicted[names.PREDICTED].to_numpy()[mask].sum() for mask in models_of["mask"]]
        row = table.loc[f"lds_{fraction:g}"]
        assert row["n"] == 12 and row["estimator"] == "exact" and row["test"] == "a"
        assert row["spearman"] == pytest.approx(stats.spearmanr(losses, sums).statistic, abs=1e-9)
        assert row["pearson"] == pytest.approx(stats.pearsonr(losses, sums).statistic, abs=1e-9)
    agreement = pd.read_csv(exp / "tables" / "agreement.csv").query("actual.str.startswith('lds')")
    np.testing.assert_allclose(agreement["spearman"], every["spearman"])


def test_figures_logs_and_benchmarks(tiny_run):
    for exp in ("tiny_synthetic", "tiny_digits"):
        for figure in ("dataset.png", "influence_vs_loo_exact.png"):
            image = matplotlib.image.imread(tiny_run / exp / "figures" / figure)
            assert image.shape[0] > 250 and image.shape[1] > 800 and image.std() > 0.05  # a drawn, non-blank PNG
        for rule in [*RULES, *LOO_RULES, "test_points/a"]:
            assert (tiny_run / exp / "benchmarks" / f"{rule}.tsv").read_text().startswith("s\th:m:s")
        assert "fitting logistic_regression" in (tiny_run / exp / "logs" / "train.log").read_text()
    assert "leave-one-out refits: 30 of 30" in (tiny_run / "tiny_digits" / "logs" / "loo_refit.log").read_text()
    # every job ran the checkout's own library (not the installed one), on the one thread its rule declares
    logs = sorted(tiny_run.glob("*/logs/**/*.log"))
    assert len(logs) > 60
    for path in logs:
        text = path.read_text()
        assert f"influential 0.1.0 from {tiny_run.parent / 'src' / 'influential'}, code " in text, path
        assert "threads: 1 (BLAS" in text, path


def test_rerun_has_nothing_to_do(tiny_run):
    result = snakemake(tiny_run.parent)
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


def test_report_carries_every_figure_and_table(tiny_run):
    result = snakemake(tiny_run.parent, "--report", "report.html")
    assert result.returncode == 0, result.stderr[-2000:]
    html = (tiny_run.parent / "report.html").read_text()
    figures = sorted(tiny_run.glob("*/figures/**/*.png"))
    assert len(figures) > 2 * len(names.EMBEDDING_FIGURES)
    for path in figures:
        assert str(path.relative_to(tiny_run.parent)) in html, path
    tables = ["agreement.csv", "estimators.csv"]
    for exp in ("tiny_synthetic", "tiny_digits", "tiny_cnn"):
        for table in tables:
            assert f"results/{exp}/tables/{table}" in html
        assert f"results/{exp}/hessian/spectrum.json" in html
    for table in ("table_5_1.csv", "embedding_correlations.csv", "mahalanobis_overlap.csv"):
        assert f"results/tiny_cnn/tables/{table}" in html
    for table in ("mixture_agreement.csv", "mixture_summary.csv"):
        assert f"results/tiny_mixture/tables/{table}" in html
    for table in ("agreement.csv", "influential_units.csv", "groups.csv", "group_agreement.csv"):
        assert f"results/tiny_words/tables/{table}" in html


def bad(path: str, value):
    """TINY with one value replaced (path: experiment, then keys and list positions)."""
    config = yaml.safe_load(yaml.safe_dump(TINY))
    *parents, last = path.split(".")
    node = config["experiments"]
    for key in parents:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    node[int(last) if last.isdigit() else last] = value
    return yaml.safe_dump(config)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            bad("tiny_digits.training", {"max_iter": -3}),
            "config: experiments.tiny_digits.training.max_iter: -3 is less than the minimum of 1",
        ),
        (
            bad("tiny_cnn.test_points.0", {"nmae": "first", "select": "index", "index": 0}),
            "config: experiments.tiny_cnn.test_points.0: unknown key 'nmae' (allowed: choose_retrained, index, label, "
            "name, objective, seed, select); did you mean 'name'?",
        ),
        (
            bad("tiny_cnn.loo.k", 100),
            "config: experiments.tiny_cnn.loo.k: 100 points to retrain, but the training split has 40",
        ),
        (
            bad("tiny_digits.test_points.0.label", 7),
            "config: experiments.tiny_digits.test_points.0.label: 7 is not a class of this dataset (classes [1, 7, 4] "
            "renumbered 0..2)",
        ),
        (
            bad("tiny_cnn.test_points.1", {"name": "second", "select": "original_index", "index": 12000}),
            "config: experiments.tiny_cnn.test_points.1.index: source index 12000 is beyond the source's test "
            "examples (0..9999)",
        ),
        (
            "experiments:\n  tiny:\n    dataset: {source: synthetic\n    model: {kind: all_cnn}\n",
            "config.yaml:4:10: YAML syntax error: expected ',' or '}', but got ':' (while parsing a flow mapping)",
        ),
    ],
    ids=["range", "misspelt_key", "k_above_n_train", "label_not_a_class", "index_beyond_source", "yaml_syntax"],
)
def test_a_bad_config_stops_before_any_job_with_one_line(tmp_path, config, message):
    (tmp_path / "config.yaml").write_text(config)
    result = snakemake(tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == message
    assert not (tmp_path / "results").exists()


def write_source(folder: Path, problem: str) -> dict:
    """A user's data with one problem, and the dataset config that reads it."""
    arrays = digit_arrays()
    if problem == "truncated_idx":
        for key, stem in (("x_train", "train-images-idx3-ubyte"), ("y_train", "train-labels-idx1-ubyte")):
            (folder / f"{stem}.gz").write_bytes(gzip.compress(idx_bytes(arrays[key])))
        (folder / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(arrays["x_test"]))
        (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(arrays["y_test"]))[:-9])
        return {"source": "idx", "path": str(folder)}
    arrays |= {
        "float_pixels": {"x_train": arrays["x_train"].astype(np.float64)},
        "text_labels": {"y_test": np.array(["a", "b", "c"] * 4)},
        "unseen_test_label": {"y_test": np.arange(12) % 4},
    }[problem]
    np.savez(folder / "data.npz", **arrays)
    return {"source": "npz", "path": str(folder / "data.npz")}


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        (
            "float_pixels",
            "{path} (x_train/y_train): image pixels must be uint8 (0-255) or floats in [0, 1], got float64 from 0 to "
            "255 (divide by 255, or store uint8)",
        ),
        ("text_labels", "{path} (x_test/y_test): labels must be whole numbers (class indices), got dtype <U1"),
        ("truncated_idx", "{path}/t10k-labels-idx1-ubyte.gz: truncated or damaged gzip file ("),
        (
            "unseen_test_label",
            "{path}: test labels [3] never occur among the 20 training examples (training labels: [0, 1, 2]); "
            "choose dataset.classes or a larger dataset.split.n_train",
        ),
    ],
)
def test_bad_data_stops_its_job_with_one_line_and_no_traceback(tmp_path, problem, message):
    dataset = write_source(tmp_path, problem) | {"split": {"n_train": 20, "n_validation": 0, "n_test": 12}}
    experiment = {
        "dataset": dataset,
        "model": {"kind": "all_cnn"},
        "training": {"batch_size": 10},
        "test_points": [{"name": "t", "select": "index", "index": 0}],
        "loo": {"method": "none"},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"experiments": {"mine": experiment}}))
    result = snakemake(tmp_path, "results/mine/data/dataset.npz")
    assert result.returncode == 1
    expected = message.format(path=dataset["path"])
    assert any(line.startswith(expected) for line in result.stderr.splitlines()), result.stderr[-2000:]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("preset", [[], ["--configfile", "presets/paper.yaml"]], ids=["default", "paper"])
def test_dry_run_resolves_the_dag(tmp_path, preset):
    shutil.copy(REPO / "config.yaml", tmp_path)
    shutil.copytree(REPO / "presets", tmp_path / "presets")
    result = snakemake(tmp_path, "-n", *preset)
    assert result.returncode == 0, result.stderr[-2000:]
    for rule in [*RULES, *LOO_RULES, "test_point", "influence", "plot_influence_vs_loo"]:
        assert re.search(rf"^(local)?rule {rule}:$", result.stdout, re.M), rule
    # a GPU is asked for where one can be used: the all-CNN's training, not scikit-learn's logistic regression
    trainings = re.findall(r"^rule train:\n(.*?)\n\n", result.stdout, re.M | re.S)
    assert len(trainings) == (2 if preset else 4)  # default: three logistic regressions and the all-CNN
    for body in trainings:
        cnn = "mnist_cnn" in re.search(r"wildcards: exp=(\w+)", body).group(1)
        assert ("gpu=1" in body) == cnn and ("gpu=0" in body) != cnn, body


def test_cnn_estimators_all_pairs_and_training(tiny_run):
    exp = tiny_run / "tiny_cnn"
    comparison = pd.read_csv(exp / "tables" / "estimators.csv").query("test == 'first'")
    every_but_arnoldi = sorted(set(names.ESTIMATORS) - {names.ARNOLDI})  # arnoldi runs in tiny_digits
    assert sorted(comparison["estimator"]) == every_but_arnoldi and (comparison["reference"] == "exact").all()
    rows = comparison.set_index("estimator")
    assert rows.loc["exact", "relative_residual"] < 1e-4 and rows.loc["cg", "pearson_with_reference"] > 0.999
    # every pair in one product (exact), pass (TracIn) or sweep (the HYDRAs): the rows of the test points "first"
    # and "second" (test positions 0 and 1) equal their tables, made by the influence jobs
    assert sorted(p.stem for p in (exp / "influence" / "all_pairs").glob("*.npz")) == sorted(names.ALL_PAIRS_ESTIMATORS)
    for name in names.ALL_PAIRS_ESTIMATORS:
        with np.load(exp / "influence" / "all_pairs" / f"{name}.npz") as pairs:
            matrix, train_index, test_index = pairs[names.PREDICTED], pairs["train_index"], pairs["test_index"]
        assert matrix.shape == (15, 40) and matrix.dtype == np.float32 and len(test_index) == 15
        for position, test in enumerate(("first", "second")):
            table = pd.read_parquet(exp / "influence" / name / f"{test}.parquet")
            assert np.array_equal(table["train_index"], train_index)
            scale = np.abs(table[names.PREDICTED]).max()
            np.testing.assert_allclose(matrix[position], table[names.PREDICTED], rtol=1e-4, atol=1e-6 * scale)
    log = pd.read_csv(exp / "model" / "training_log.csv")
    assert log["step"].tolist() == [10, 20, 30]
    with np.load(exp / "model" / "model.npz") as model, np.load(exp / "model" / "trajectory.npz") as trajectory:
        assert model["theta"].shape == (2616,) and int(model["adam_step"]) == 30
        assert trajectory["steps"].tolist() == [0, 10, 20, 30] and trajectory["learning_rates"].shape == (30,)
        np.testing.assert_array_equal(trajectory["thetas"][-1], model["theta"])
    spectrum = json.loads((exp / "hessian" / "spectrum.json").read_text())
    assert spectrum["n_params"] == 2616 and spectrum["damping"] == 2.0 and spectrum["damped_positive_definite"]
    assert matplotlib.image.imread(exp / "figures" / "training.png").std() > 0.05


def test_the_cnns_training_summary_describes_its_saved_parameters(tiny_run):
    exp = tiny_run / "tiny_cnn"
    dataset = io.load_dataset(exp / "data" / "dataset.npz")
    theta, meta = io.load_model(exp / "model" / "model.npz")
    model, train = models.from_meta(meta), dataset.train
    summary = json.loads((exp / "model" / "summary.json").read_text())
    objective = np.mean(model.losses(theta, train.x, train.y)) + model.regularizer_value(theta)
    assert summary["objective"] == pytest.approx(objective, rel=1e-6)
    gradient = gradients.objective_gradient(model, theta, train.x, train.y)
    assert summary["gradient_norm"] == pytest.approx(np.linalg.norm(gradient), rel=1e-5)
    for split in ("train", "validation", "test"):
        part = getattr(dataset, split)
        accuracy = np.mean(model.predict(theta, part.x) == part.y)
        assert summary[f"{split}_accuracy"] == pytest.approx(accuracy), split
    predictions = pd.read_parquet(exp / "model" / "test_predictions.parquet")
    np.testing.assert_allclose(predictions["loss"], model.losses(theta, dataset.test.x, dataset.test.y), rtol=1e-6)


def chunk_files(exp: Path) -> dict[str, Path]:
    return {path.stem: path for path in sorted((exp / "loo" / "chunks").glob("*.parquet"))}


def test_cnn_leave_one_out_fan_out(tiny_run):
    exp = tiny_run / "tiny_cnn"
    selected = pd.read_csv(exp / "loo" / "selected.csv")
    assert len(selected) == 8 and (selected["side"] == "positive").sum() == 4
    union = sorted(set(selected["train_position"]))
    chunks_planned = pd.read_csv(exp / "loo" / "plan.csv")
    assert sorted(chunks_planned["train_position"]) == union and chunks_planned.groupby("chunk").size().max() == 2
    chunks = chunk_files(exp)
    assert sorted(chunks) == sorted(set(chunks_planned["chunk"])) and len(chunks) == (len(union) + 1) // 2
    for name, path in chunks.items():
        table = pd.read_parquet(path)
        left_out = table.loc[table["model"] == "left_out", "train_position"].tolist()
        assert left_out == chunks_planned.loc[chunks_planned["chunk"] == name, "train_position"].tolist()
        assert name == plan.chunk_name(left_out) and len(table["test_losses"].iloc[0]) == 15
        assert "SLURM job (none)" in (exp / "logs" / "loo" / f"{name}.log").read_text()
    # every retrained model serves both test points; each test point is judged on its own top k
    actual = pd.read_parquet(exp / "loo" / "actual.parquet")
    assert (
        len(actual) == 3 * len(union) and (actual["protocol"] == "warm_start").all() and (actual["steps"] == 10).all()
    )
    # the centroid objective chose none: it is measured on every retrained model
    assert actual.loc[actual["test"] == "first_centroid", "selected"].all()
    own = actual[actual["selected"] & (actual["test"] != "first_centroid")]
    flagged = own[["train_position", "test"]].sort_values(["train_position", "test"])
    assert (
        flagged.values.tolist()
        == selected.sort_values(["train_position", "test"])[["train_position", "test"]].values.tolist()
    )
    agreement = pd.read_csv(exp / "tables" / "agreement.csv")
    assert set(agreement["actual"]) == {"paired", "raw", "lds_0.5"}  # the LDS's rows beside leave-one-out's
    agreement = agreement[agreement["actual"] != "lds_0.5"]
    assert agreement.groupby("test")["n"].unique().map(list).to_dict() == {
        "first": [4],
        "second": [4],
        "first_centroid": [len(union)],
    }
    # figure 5.19: the first test point's top point, warm-started (the chunk engine's distance) and from scratch
    change = pd.read_csv(exp / "tables" / "parameter_change.csv")
    top = selected.query("test == 'first' and rank == 0")["train_position"].item()
    assert change["protocol"].tolist() == ["warm_start", "reset"] and change["steps"].tolist() == [10, 30]
    assert (change["train_position"] == top).all()
    distance = actual.query("train_position == @top")["param_distance"].iloc[0]
    assert change["param_distance"].iloc[0] == pytest.approx(distance, rel=1e-4)
    assert change["param_distance"].iloc[1] > 10 * distance
    assert matplotlib.image.imread(exp / "figures" / "parameter_change.png").std() > 0.05
    # HYDRA differentiates exactly the paired change of these 10 retraining steps: it predicts them to first order,
    # the loss's and (on the 6 retrained points, at a hidden layer) a centroid distance's
    hydra = agreement.query("estimator == 'hydra' and actual == 'paired'").set_index("test")["pearson"]
    assert len(hydra) == 3 and (hydra[["first", "second"]] > 0.95).all() and hydra["first_centroid"] > 0.9, hydra


def test_other_test_objectives_are_measured_on_the_stored_models(tiny_run):
    """Cross-loss influence end to end: the actual change of a margin (refits) and of a distance to a class centroid
    (retraining chunks), recomputed here from the stored parameters, is what loo_gather reports."""
    exp = tiny_run / "tiny_cnn"
    with np.load(exp / "data" / "dataset.npz") as d:
        x_train, y_train, x_test, y_test = d["x_train"], d["y_train"], d["x_test"], d["y_test"]
    model = AllCNN(side=28, channels=1, n_classes=10, weight_decay=0.001)
    actual = pd.read_parquet(exp / "loo" / "actual.parquet").query("test == 'first_centroid'")
    for path in chunk_files(exp).values():
        chunk = pd.read_parquet(path)
        for row in chunk.itertuples():  # each stored model gives the test losses recorded with it
            np.testing.assert_allclose(model.losses(row.theta, x_test, y_test), row.test_losses, rtol=1e-5)

        def distance(theta):
            test = model.representations(theta, x_test[:1])["h3_d"][0]
            return np.linalg.norm(test - model.representations(theta, x_train[y_train == 3])["h3_d"].mean(axis=0))

        control = distance(chunk.loc[chunk["model"] == "control", "theta"].item())
        for row in chunk[chunk["model"] == "left_out"].itertuples():
            reported = actual.loc[actual["train_position"] == row.train_position, names.ACTUAL].item()
            assert reported == pytest.approx(distance(row.theta) - control, rel=1e-4, abs=1e-7)
    point = json.loads((exp / "test_points" / "first_centroid.json").read_text())
    assert point["objective"] == {"kind": "centroid_distance", "class": 3, "layer": "h3_d"}
    assert point["objective_label"] == "distance in h3_d to the class-3 centroid"

    exp = tiny_run / "tiny_synthetic"
    refits = pd.read_parquet(exp / "loo" / "refits.parquet")
    with np.load(exp / "data" / "dataset.npz") as d:
        b = np.append(d["x_test"][0], 1.0)
        sign = 1 if d["y_test"][0] == 1 else -1
    margins = sign * np.stack(refits["theta"].to_numpy()) @ b
    checkpoint = margins[refits["model"].to_numpy() == "checkpoint"].item()
    actual = pd.read_parquet(exp / "loo" / "actual.parquet").query("test == 'a_margin'").set_index("train_position")
    left = refits[refits["model"] == "left_out"]
    np.testing.assert_allclose(
        actual.loc[left["train_position"], names.ACTUAL], margins[left.index] - checkpoint, rtol=1e-6, atol=1e-12
    )
    agreement = pd.read_csv(exp / "tables" / "agreement.csv").set_index(["estimator", "test"])
    assert agreement.loc[("exact", "a_margin"), "pearson"] > 0.95


def test_adding_a_test_objective_retrains_and_refits_nothing(tiny_run, tmp_path):
    workdir = copy_of(tiny_run, tmp_path / "copy")

    def add(experiments):
        for exp in ("tiny_cnn", "tiny_synthetic"):
            point = {"name": "second_probability", "select": "index", "index": 1}
            experiments[exp]["test_points"].append({**point, "objective": {"kind": "probability", "class": 0}})
        # a loss test point measured on the models retrained for the others
        third = {"name": "third", "select": "index", "index": 2, "choose_retrained": False}
        experiments["tiny_cnn"]["test_points"].append(third)

    edit_config(workdir, add)
    jobs, _ = planned_jobs(workdir)
    rules = {rule for rule, _ in jobs}
    assert {"loo_objective", "influence", "test_point"} <= rules
    assert not rules & {"train", "derivatives", "loo_select", "loo_chunk", "loo_refit", "parameter_change"}
    assert sorted(w["exp"] for rule, w in jobs if rule == "loo_objective") == ["tiny_cnn", "tiny_synthetic"]
    assert {w["test"] for rule, w in jobs if rule == "influence"} == {"second_probability", "third"}
    assert {"tracin_tiny_cnn", "hydra_tiny_cnn", "exact_tiny_synthetic"} <= rules  # every test point in one job


def test_a_lost_chunk_comes_back_and_raising_k_only_adds_chunks(tiny_run, tmp_path):
    """Chunks on disk are kept whole: a lost one is planned again under its own name, a larger k adds chunks, and no
    other chunk is redone. One rerun for both, as each costs a retraining: with k raised, the lost chunk's points
    are cut into chunks with the new ones and retrained to the same values."""
    workdir = copy_of(tiny_run, tmp_path / "copy")
    exp = workdir / "results" / "tiny_cnn"
    old = pd.read_parquet(exp / "loo" / "actual.parquet")
    lost, *others = chunk_files(exp).values()
    kept = {path: path.stat().st_mtime_ns for path in others}
    lost.unlink()
    jobs, _ = planned_jobs(workdir)
    assert [wildcards["chunk"] for rule, wildcards in jobs if rule == "loo_chunk"] == [lost.stem]
    downstream = {
        "loo_objective", "loo_gather", "evaluate", "plot_influence_vs_loo", "embedding_metrics", "embedding_tables",
    }  # fmt: skip
    assert {rule for rule, _ in jobs} <= {"loo_chunk", *downstream, "learned_metric_tiny_cnn", "plot_embeddings"}

    edit_config(workdir, lambda experiments: experiments["tiny_cnn"]["loo"].update(k=6))
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-2000:]
    assert {path: path.stat().st_mtime_ns for path in others} == kept  # not one chunk redone
    assert len(chunk_files(exp)) > len(others) + 1
    assert len(pd.read_csv(exp / "loo" / "selected.csv")) == 12
    new = pd.read_parquet(exp / "loo" / "actual.parquet")
    both = new.merge(old, on=["test", "train_position"], suffixes=("", "_old"))
    assert len(both) == len(old)  # the lost chunk's points among them
    for column in (names.ACTUAL, names.RAW):
        np.testing.assert_array_equal(both[column], both[f"{column}_old"])


def test_a_damaged_chunk_stops_the_run_with_its_name(tiny_run, tmp_path):
    workdir = copy_of(tiny_run, tmp_path / "copy")
    damaged, *others = chunk_files(workdir / "results" / "tiny_cnn").values()
    kept = {path: path.read_bytes() for path in others}
    damaged.write_bytes(damaged.read_bytes()[:500])
    result = snakemake(workdir)
    assert result.returncode == 1
    where = damaged.relative_to(workdir)
    assert re.search(
        rf"^{where}: cannot be read \(.+\); it is damaged or incomplete: delete it and rerun snakemake to make it "
        "again$",
        result.stderr,
        re.M,
    ), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert {path: path.read_bytes() for path in others} == kept  # the other chunks, untouched


def test_adding_a_test_point_plans_only_its_jobs_and_the_aggregations(tiny_run, tmp_path):
    workdir = copy_of(tiny_run, tmp_path / "copy")

    def add(experiments):
        experiments["tiny_cnn"]["test_points"].append({"name": "third", "select": "index", "index": 2})
        experiments["tiny_synthetic"]["test_points"].append({"name": "third", "select": "index", "index": 3})

    edit_config(workdir, add)
    jobs, _ = planned_jobs(workdir)
    estimators = {"influence", "trajectory_influence"}
    per_point = {"test_point", *estimators, "embedding_metrics", "plot_embeddings"}
    new = sorted((rule, w["exp"]) for rule, w in jobs if rule in per_point and w.get("test") == "third")
    assert new == sorted(
        [("test_point", "tiny_cnn"), ("test_point", "tiny_synthetic")]
        + [("influence", "tiny_cnn")] * 3  # exact (it chooses the retrained points), cg, lissa
        + [(rule, "tiny_cnn") for rule in ("embedding_metrics", "plot_embeddings")]
    )
    # an old test point's influence is redone only by the estimators that do every test point in one job; its
    # embedding jobs may be, as new retrained points join it
    assert not [w for rule, w in jobs if rule in {"test_point", *estimators} and w["test"] != "third"]
    one_job = {"tracin_tiny_cnn", "hydra_tiny_cnn", "hydra_free_tiny_cnn", "trak_tiny_cnn", "exact_tiny_synthetic"}
    one_job.add("learned_metric_tiny_cnn")
    assert one_job <= {rule for rule, _ in jobs}
    aggregations = {
        "test_points", "loo_select", "loo_gather", "evaluate", "compare_estimators", "plot_dataset",
        "plot_influence_vs_loo", "projector", "tsne", "plot_tsne", "embedding_tables", "lds",
    }  # fmt: skip
    # no training, Hessian, refit, retraining or subset model: the new test point is evaluated on the stored ones
    assert {rule for rule, _ in jobs} - per_point - one_job == aggregations


def test_changing_one_estimators_setting_reruns_only_that_estimator(tiny_run, tmp_path):
    workdir = copy_of(tiny_run, tmp_path / "copy")
    edit_config(workdir, lambda experiments: experiments["tiny_cnn"]["influence"]["lissa"].update(depth=150))
    jobs, reasons = planned_jobs(workdir)
    assert sorted(w["test"] for rule, w in jobs if rule == "influence" and w["estimator"] == "lissa") == [
        "first",
        "first_centroid",
        "second",
    ]
    assert not [w for rule, w in jobs if rule == "influence" and w["estimator"] != "lissa"]
    assert reasons["params have changed since last execution"] == {"influence"}
    assert not {rule for rule, _ in jobs} & {"derivatives", "all_pairs", "train", "loo_chunk", "tracin_tiny_cnn"}


@pytest.mark.parametrize(
    ("module", "downstream"),
    [
        ("figures/embedding.py", set()),
        (
            "loo/gather.py",
            {
                "evaluate",
                "plot_influence_vs_loo",
                "embedding_metrics",
                "embedding_tables",
                "plot_words",
                "plot_word_groups",
            },
        ),
    ],
)
def test_editing_a_library_module_reruns_exactly_the_rules_that_import_it(tiny_run, tmp_path, module, downstream):
    workdir = copy_of(tiny_run, tmp_path / "copy")
    path = workdir / "src" / "influential" / module
    path.write_text(path.read_text() + "\n# an edit\n")
    name = "influential." + module.removesuffix(".py").replace("/", ".")
    scripts = {
        rule: re.search(r'script:\n        "\.\./\.\./scripts/(\w+)\.py"', block).group(1)
        for rule, block in re.findall(
            r"^(?:rule|checkpoint) (\w+):\n(.*?)(?=^\S|\Z)",
            "\n".join(p.read_text() for p in (workdir / "workflow" / "rules").glob("*.smk")),
            re.M | re.S,
        )
    }
    importers = {
        rule for rule, script in scripts.items() if name in provenance.closure(workdir / "scripts" / f"{script}.py")
    }
    jobs, reasons = planned_jobs(workdir)
    assert importers and reasons["params have changed since last execution"] == importers
    planned = {rule for rule, _ in jobs}
    assert importers <= planned <= importers | downstream | {"learned_metric_tiny_cnn", "plot_embeddings"}


def test_changing_a_plotting_option_redraws_figures_only(tiny_run, tmp_path):
    workdir = copy_of(tiny_run, tmp_path / "copy")
    edit_config(
        workdir, lambda experiments: [e.setdefault("figures", {}).update(dpi=100) for e in experiments.values()]
    )
    assert planned_rules(workdir) == {
        "plot_dataset",
        "plot_influence_vs_loo",
        "plot_training",
        "plot_embeddings",
        "plot_tsne",
        "plot_parameter_change",
        "plot_mislabel",
    }


def test_jobs_import_the_workflows_own_library_before_any_other(tmp_path):
    """Two checkouts sharing one environment: the other one's library comes first on the path (as an editable
    install of it would), yet every job runs this workflow's own."""
    other = tmp_path / "other" / "influential"
    shutil.copytree(REPO / "src" / "influential", other, ignore=shutil.ignore_patterns("__pycache__"))
    (other / "core" / "io.py").write_text('raise RuntimeError("the other checkout\'s library ran")\n')
    config = {"experiments": {"tiny_synthetic": TINY["experiments"]["tiny_synthetic"]}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": str(other.parent)}
    result = snakemake(tmp_path, "results/tiny_synthetic/test_points.csv", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    for log in ("dataset.log", "train.log", "test_points.log"):
        text = (tmp_path / "results" / "tiny_synthetic" / "logs" / log).read_text()
        assert f"influential 0.1.0 from {REPO / 'src' / 'influential'}, code " in text


def test_embedding_space_analysis(tiny_run):
    exp = tiny_run / "tiny_cnn"
    estimators = TINY["experiments"]["tiny_cnn"]["influence"]["estimators"]
    with np.load(exp / "embeddings" / "h2_c.npz") as layer:
        assert layer["train"].shape == (40, 128) and layer["test"].shape == (15, 128)
    metrics = pd.read_parquet(exp / "metrics" / "first.parquet")
    assert len(metrics) == 8 * 40
    with np.load(exp / "data" / "dataset.npz") as d:
        class_sizes = np.bincount(d["y_train"])
    expected_outliers = int(np.ceil(0.1 * class_sizes[class_sizes > 0]).sum())  # a tenth of each class, at least one
    assert (metrics.groupby("layer")["outlier"].sum() == expected_outliers).all()
    logits = metrics[metrics["layer"] == "logits"]
    assert logits["selected"].sum() == 4 and logits[names.ACTUAL].notna().sum() >= 4

    correlations = pd.read_csv(exp / "tables" / "embedding_correlations.csv")
    assert len(correlations) == 3 * 8 * (4 + len(estimators))
    assert (correlations.query("test != 'first_centroid'")["n"] == 4).all()
    assert set(correlations["quantity"]) == {
        "pixel_cosine", "embedding_cosine", "mahalanobis", "centroid_relationship",
        *(f"predicted_{name}" for name in estimators),
    }  # fmt: skip
    chosen = logits[logits["selected"]]
    row = correlations.query("test == 'first' and layer == 'logits' and quantity == 'mahalanobis'").iloc[0]
    assert row["pearson"] == pytest.approx(stats.pearsonr(chosen["mahalanobis"], chosen[names.ACTUAL])[0])
    compact = pd.read_csv(exp / "tables" / "table_5_1.csv")
    lds = pd.read_csv(exp / "tables" / "lds.csv")
    assert len(lds) == 3 * len(estimators) and (lds["n"] == 4).all()  # 4 subset models of 20 digits
    assert compact.columns.tolist()[1:] == ["first", "second", "first_centroid"]
    assert len(compact) == 4 + 2 * len(estimators)  # metrics, estimators, their LDS
    by_row = compact.set_index(compact.columns[0])
    assert by_row.loc["Mahalanobis distance to class centroid", "first"] == pytest.approx(row["pearson"])
    for _, score in lds.iterrows():
        assert by_row.loc[f"LDS, subsets of 0.5 ({score['estimator']})", score["test"]] == pytest.approx(
            score["spearman"]
        )
    assert "| predicted influence (lissa)" in (exp / "tables" / "table_5_1.md").read_text()
    overlap = pd.read_csv(exp / "tables" / "mahalanobis_overlap.csv").set_index("test")
    furthest = set(logits.nlargest(4, "mahalanobis")["train_position"])
    assert overlap.loc["first", "overlap"] == len(furthest & set(chosen["train_position"]))
    assert overlap.loc["first", "k"] == 4

    summary = json.loads((exp / "learned_metric" / "first.json").read_text())
    assert summary["n_train"] + summary["n_heldout"] == logits[names.ACTUAL].notna().sum()
    assert (exp / "embeddings" / "projector" / "projector_config.pbtxt").exists()
    assert len((exp / "embeddings" / "projector" / "metadata.tsv").read_text().splitlines()) == 1 + 40 + 15
    for test in ("first", "second", "first_centroid"):
        for figure in names.EMBEDDING_FIGURES:
            assert matplotlib.image.imread(exp / "figures" / "embedding" / test / f"{figure}.png").std() > 0.02
    assert matplotlib.image.imread(exp / "figures" / "embedding" / "tsne.png").std() > 0.02


def test_word_embedding_experiment(tiny_run):
    """The measured changes recomputed from the stored models' word vectors with Caliskan's formula; every table
    and the figure with content."""
    exp = tiny_run / "tiny_words"
    records = json.loads((exp / "objectives.json").read_text())
    assert records[0]["roles"][1] == {
        "role": "objective pronouns: targets[1]",
        "words": ["she", "her"],
        "dropped": ["hers"],
    }
    vocabulary = list(np.load(exp / "corpus" / "corpus.npz")["vocabulary"])
    model = np.load(exp / "model" / "model.npz")
    meta = json.loads(str(model["meta"]))
    size, dim = meta["vocabulary_size"], meta["dim"]
    assert size == len(vocabulary) and dim == 4

    def weat(u):
        def cos(p, q):
            return p @ q / np.linalg.norm(p) / np.linalg.norm(q)

        def s(word):
            v = u[vocabulary.index(word)]
            return np.mean([cos(v, u[vocabulary.index(a)]) for a in ("was", "had")]) - np.mean(
                [cos(v, u[vocabulary.index(b)]) for b in ("is", "are")]
            )

        associations = [s(w) for w in ("he", "him", "she", "her")]
        return (np.mean(associations[:2]) - np.mean(associations[2:])) / np.std(associations, ddof=1)

    def moved(u):
        he = vocabulary.index("he")
        return np.sum((u[he] - model["initial_input_vectors"][he]) ** 2)

    actual = pd.read_parquet(exp / "loo" / "actual.parquet").set_index(["test", "train_position"])
    chunks = sorted((exp / "loo" / "chunks").glob("*.parquet"))
    assert len(chunks) == 2  # 4 units per objective, up to 8 in chunks of 4
    for path in chunks:
        chunk = pd.read_parquet(path)
        models = {
            row.model if row.model != "left_out" else row.train_position: np.asarray(row.theta, dtype=np.float64)
            for row in chunk.itertuples()
        }
        for name, objective in (("pronouns", weat), ("he_moved", moved)):
            value = {key: objective(theta[: size * dim].reshape(size, dim)) for key, theta in models.items()}
            for unit in chunk.loc[chunk["model"] == "left_out", "train_position"]:
                row = actual.loc[(name, unit)]
                assert row[names.ACTUAL] == pytest.approx(value[unit] - value["control"], rel=1e-6, abs=1e-12)
                assert row[names.RAW] == pytest.approx(value[unit] - value["checkpoint"], rel=1e-6, abs=1e-12)
    agreement = pd.read_csv(exp / "tables" / "agreement.csv")
    linear = ["block", "exact", "cg", "lissa", "tracin", "hydra", "hydra_free"]
    predictions = [(e, "linear") for e in linear] + [("block", "shifted"), ("exact", "shifted")]
    expected = {(e, ev, o) for e, ev in predictions for o in ("pronouns", "he_moved")}
    assert set(agreement[["estimator", "evaluation", "objective"]].itertuples(index=False, name=None)) == expected
    assert (agreement["n"] == 4).all() and agreement["pearson"].between(-1, 1).all()
    # HYDRA differentiates the very retraining that leave-one-out runs (the window of its paired control)
    hydra = agreement[(agreement["estimator"] == "hydra") & (agreement["actual"] == "paired")]
    assert (hydra["pearson"] > 0.95).all(), hydra
    units = pd.read_csv(exp / "tables" / "influential_units.csv")
    assert len(units) == 7 * 2 * (2 + 2)  # 7 estimators x 2 objectives x (2 increasing + 2 decreasing)
    assert set(units["genre"]) == {"science_fiction"} and units["text"].str.split().str.len().min() >= 2
    assert units[names.ACTUAL].notna().any()  # the retrained units carry their measured change
    assert matplotlib.image.imread(exp / "figures" / "pred_vs_actual.png").std() > 0.05

    # group removal: each set's change against its run's control, from the stored vectors; from scratch with the
    # training seed, the control is the trained model again
    table = pd.read_csv(exp / "tables" / "groups.csv")
    sets = pd.read_parquet(exp / "groups" / "sets.parquet")
    assert len(sets) == 2 * (2 * 2 + 2)  # sizes x (2 objectives x 2 directions + 2 random sets)
    for run in ("scratch0", "warm_start"):
        vectors = pd.read_parquet(exp / "groups" / "runs" / f"{run}.parquet").set_index("set")["input_vectors"]
        protocol = "reset" if run == "scratch0" else "warm_start"
        for name, objective in (("pronouns", weat), ("he_moved", moved)):
            value = {s: objective(np.asarray(v, np.float64).reshape(size, dim)) for s, v in vectors.items()}
            rows = table[(table["protocol"] == protocol) & (table["objective"] == name)].drop_duplicates("set")
            assert len(rows) == len(sets)
            for row in rows.itertuples():
                assert row.actual_mean == pytest.approx(value[row.set] - value["control"], rel=1e-5, abs=1e-9)
        if run == "scratch0":
            trained = model["theta"][: size * dim].reshape(size, dim)
            np.testing.assert_allclose(vectors["control"].reshape(size, dim), trained, rtol=1e-4, atol=1e-6)
    group_agreement = pd.read_csv(exp / "tables" / "group_agreement.csv")
    expected = {(e, ev, o, p) for e, ev, o in expected for p in ("reset", "warm_start")}
    assert (
        set(group_agreement[["estimator", "evaluation", "objective", "protocol"]].itertuples(False, None)) == expected
    )
    assert (group_agreement["sets"] == len(sets)).all()
    for figure in ("groups_pred_vs_actual", "groups_by_size", "groups_words"):
        assert matplotlib.image.imread(exp / "figures" / f"{figure}.png").std() > 0.05


def test_mixture_cross_loss_experiment(tiny_run, schema):
    """Leave-one-out changes of -log p(class | x) recomputed with scipy's densities from the stored refits; the
    agreement table recomputed from the stored matrices, and its median against the library's own fit, influence
    and refits on the same data; the summary from the agreement table."""
    exp = tiny_run / "tiny_mixture"
    data = np.load(exp / "data" / "mixture.npz")
    x, y = data["x"], data["y"]
    assert x.shape == (60, 2) and np.bincount(y).tolist() == [20, 20, 20]
    layout = GaussianMixture(3, 2, names.UNSUPERVISED, 0.0)

    def objectives(theta):
        means, covariances, weights = layout.unpack(theta)
        components = zip(means, covariances, weights, strict=True)
        scores = np.stack([np.log(w) + stats.multivariate_normal(m, c).logpdf(x) for m, c, w in components], 1)
        return logsumexp(scores, 1) - scores[np.arange(len(y)), y]

    agreement = pd.read_csv(exp / "tables" / "mixture_agreement.csv")
    settings = cfg.validate(TINY, schema)["mixtures"]["tiny_mixture"]
    for model in names.MIXTURE_MODELS:
        record = json.loads((exp / model / "fit.json").read_text())
        assert record["model"] == model and record["gradient_max_abs"] <= 1e-10
        theta = np.load(exp / model / "fit.npz")["theta"]
        loo = np.load(exp / model / "loo.npz")
        actual = loo[names.ACTUAL]
        for z in (0, 33, 59):
            np.testing.assert_allclose(
                actual[:, z], objectives(loo["theta"][z]) - objectives(theta), rtol=1e-6, atol=1e-9
            )
        predictions = np.load(exp / model / "influence.npz")
        assert predictions[names.PREDICTED].shape == predictions[names.SHIFTED].shape == actual.shape == (60, 60)
        for name, column in names.EVALUATIONS.items():
            table = agreement[(agreement["model"] == model) & (agreement["evaluation"] == name)]
            table = table.set_index("test_position")
            for t in (0, 21, 59):
                r = stats.pearsonr(predictions[column][t], actual[t]).statistic
                assert table.loc[t, "pearson"] == pytest.approx(r)
                assert table.loc[t, "class"] == y[t]
        table = agreement[(agreement["model"] == model) & (agreement["evaluation"] == "linear")]
        fit = settings["fit"]
        own = GaussianMixture.for_data(x, y, 3, model, l2=settings["l2"][model])
        own_theta, _ = mixture.fit(own, x, y, fit["seed"], fit["n_init"], fit["gtol"])
        own_actual, _, _ = mixture.leave_one_out(own, own_theta, x, y, fit["gtol"])
        own_predicted, _ = mixture.influence(own, own_theta, x, y)
        own_median = evaluation.mixture_agreement(own_predicted, own_actual, y)["pearson"]
        assert table["pearson"].median() == pytest.approx(own_median.median(), abs=0.02)
    summary = pd.read_csv(exp / "tables" / "mixture_summary.csv")
    assert summary["model"].tolist() == [m for m in names.MIXTURE_MODELS for _ in range(2 * 4)]
    overall = summary[summary["class"] == "all"].set_index(["model", "evaluation"])
    for key, table in agreement.groupby(["model", "evaluation"]):
        assert overall.loc[key, "median_pearson"] == pytest.approx(table["pearson"].median())
        assert overall.loc[key, "share_pearson_ge_0.8"] == pytest.approx((table["pearson"] >= 0.8).mean())
    for figure in ("influential", "pred_vs_actual", "correlations"):
        assert matplotlib.image.imread(exp / "figures" / f"mixture_{figure}.png").std() > 0.05
    assert "test point drawn: " in (exp / "logs" / "plot_mixture.log").read_text()


def test_mislabelled_points_are_ranked_scored_and_fixed(tiny_run):
    """The summary recomputed from the stored rankings and the flipped positions the dataset recorded; each fix
    restores exactly the flipped labels in its ranking's top quarter, and refitting on them is what the table says."""
    exp = tiny_run / "tiny_noisy"
    dataset = np.load(exp / "data" / "dataset.npz")
    noise = json.loads(str(dataset["meta"]))["label_noise"]
    flipped = np.array(noise["positions"])
    assert len(flipped) == 12 and noise["fraction"] == 0.2
    is_flipped = np.isin(np.arange(60), flipped)
    summary = pd.read_csv(exp / "tables" / "mislabel.csv").set_index("ranker")
    fixes = pd.read_csv(exp / "tables" / "mislabel_fix.csv").set_index(["protocol", "fixed_by"])
    rankings = {}
    for ranker in ("exact", "cg", "exact_validation", "cg_validation", "training_loss", "random"):
        table = pd.read_parquet(exp / "mislabel" / f"{ranker}.parquet").sort_values("train_position")
        np.testing.assert_array_equal(table["label"], dataset["y_train"])
        scores = table["score"].to_numpy()
        rankings[ranker] = scores
        assert summary.loc[ranker, "roc_auc"] == pytest.approx(roc_auc_score(is_flipped, scores))
        top = np.argsort(-scores, kind="stable")
        assert summary.loc[ranker, "found_at_0.1"] == pytest.approx(is_flipped[top[:6]].sum() / 12)
        for protocol, kept in (("restore", 60), ("drop", 45)):  # the top quarter: 15 points
            assert fixes.loc[(protocol, ranker), "found"] == is_flipped[top[:15]].sum()
            assert fixes.loc[(protocol, ranker), "n_train"] == kept
        assert np.array_equal(np.sort(table["rank"]), np.arange(1, 61)) and table["rank"].to_numpy()[top[0]] == 1
    np.testing.assert_allclose(rankings["cg"], rankings["exact"], rtol=1e-6)
    np.testing.assert_allclose(rankings["cg_validation"], rankings["exact_validation"], rtol=1e-6)
    assert np.all(rankings["exact"] > 0)  # a point's own loss rises when it is left out
    assert summary.loc["exact", "roc_auc"] > 0.8 and summary.loc["random", "flipped"] == 12
    assert summary.loc["exact_validation", "roc_auc"] > 0.7
    assert summary.loc["cg_validation", ["estimator", "strategy"]].tolist() == ["cg", "validation"]
    assert summary.loc["random", ["estimator", "strategy"]].tolist() == ["random", "baseline"]
    assert fixes.loc[("none", "none"), "found"] == 0 and fixes.loc[("restore", "all"), "found"] == 12
    assert fixes.loc[("drop", "all"), "n_train"] == 48
    theta = np.load(exp / "model" / "model.npz")["theta"]
    x = dataset["x_test"].reshape(len(dataset["y_test"]), -1)
    noisy_accuracy = np.mean(((x @ theta[:-1] + theta[-1]) > 0) == dataset["y_test"])
    assert fixes.loc[("none", "none"), "test_accuracy"] == pytest.approx(noisy_accuracy)  # the model as trained
    assert matplotlib.image.imread(exp / "figures" / "mislabel.png").std() > 0.05


def test_retraining_from_scratch_end_to_end(tmp_path):
    """`loo.method: reset`: each chunk's models (and its control) start from a fresh initialisation and Adam state,
    without their point; the paired and raw changes are recomputed from the stored models' losses."""
    tiny = TINY["experiments"]["tiny_cnn"]
    experiment = {
        **{key: tiny[key] for key in ("dataset", "model", "training")},
        "test_points": tiny["test_points"][:1],
        # TracIn chooses the points: it needs no Hessian, whose job would be most of this test's time
        "influence": {"estimators": ["tracin"]},
        "loo": dict(method="reset", estimator="tracin", k=2, chunk_size=2, steps=30, batch_size=20, seed=1),
        "embeddings": {"enabled": False},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"experiments": {"tiny_reset": experiment}}))
    result = snakemake(tmp_path, "results/tiny_reset/tables/agreement.csv")
    assert result.returncode == 0, result.stderr[-2000:]
    exp = tmp_path / "results" / "tiny_reset"
    (chunk,) = chunk_files(exp).values()
    table = pd.read_parquet(chunk)
    with np.load(exp / "model" / "model.npz") as trained:
        theta = trained["theta"]
    retrained = table[table["model"] != "checkpoint"]
    assert len(retrained) == 3 and (retrained["protocol"] == "reset").all() and (retrained["steps"] == 30).all()
    # from scratch: as far from the trained weights as a fresh network, unlike a warm start's few steps
    assert (retrained["param_distance"] > 0.5 * np.linalg.norm(theta)).all()
    losses = {  # test point "first" is test example 0
        (model, position): test_losses[0]
        for model, position, test_losses in table[["model", "train_position", "test_losses"]].itertuples(index=False)
    }
    control, checkpoint = losses[("control", -1)], losses[("checkpoint", -1)]
    actual = pd.read_parquet(exp / "loo" / "actual.parquet").set_index("train_position")
    left_out = table.loc[table["model"] == "left_out", "train_position"]
    assert sorted(actual.index) == sorted(left_out)
    for position in left_out:
        assert actual.loc[position, names.ACTUAL] == pytest.approx(losses[("left_out", position)] - control)
        assert actual.loc[position, names.RAW] == pytest.approx(losses[("left_out", position)] - checkpoint)
    assert set(pd.read_csv(exp / "tables" / "agreement.csv")["actual"]) == {"paired", "raw"}
