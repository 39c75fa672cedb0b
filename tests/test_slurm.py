"""The leave-one-out fan-out through profiles/slurm-cpu on a real one-node SLURM cluster without GPUs.

Runs when INFLUENTIAL_SLURM=1, which .ci/run sets after tests/slurm/start.sh has started a cluster on localhost
(root and apt needed); anywhere else it is skipped with that reason.
"""

import os
import re
import subprocess

import pandas as pd
import pytest
import yaml

from .test_workflow import REPO, SNAKEMAKE, snakemake

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(
        os.environ.get("INFLUENTIAL_SLURM") != "1",
        reason="no SLURM cluster: run tests/slurm/start.sh as root, then set INFLUENTIAL_SLURM=1",
    ),
]

CONFIG = {
    "experiments": {
        "tiny": {
            "dataset": {"source": "mnist_bundled", "split": {"n_train": 40, "n_validation": 0, "n_test": 10}},
            "model": {"kind": "all_cnn"},
            "training": {"steps": 30, "batch_size": 20, "learning_rate": 0.003, "schedule": [], "log_every": 10},
            "influence": {"estimators": ["exact"], "damping": 2.0},
            "test_points": [{"name": "first", "select": "index", "index": 0}],
            "loo": {"method": "warm_start", "k": 4, "chunk_size": 2, "steps": 10, "batch_size": 20},
        }
    },
    # a chunk's 2 models + control x 10 steps at 0.25 model-steps per second, doubled: 4 minutes, plus 10
    "cluster": {"model_steps_per_second": 0.25},
}
# The cluster in tests/slurm has no GPUs, no accounting (so squeue polls) and one partition, `debug`: the CPU-only
# profile with its placeholders filled in.
OVERRIDES = [
    "--default-resources",
    "slurm_account=influential",
    "slurm_partition=debug",
    "mem_mb=2000",
    "cpus_per_task=1",
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "5",
]


def test_leave_one_out_chunks_run_as_slurm_jobs(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(CONFIG))
    local = snakemake(tmp_path, "results/tiny/influence/exact/first.parquet")
    assert local.returncode == 0, local.stderr[-2000:]

    command = [
        "timeout",
        "-s",
        "INT",
        "900",
        SNAKEMAKE,
        "--snakefile",
        REPO / "Snakefile",
        "--directory",
        tmp_path,
        "--profile",
        REPO / "profiles" / "slurm-cpu",
        *OVERRIDES,
        "results/tiny/loo/actual.parquet",
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    submitted = re.findall(r"submitted with SLURM jobid (\d+)", result.stdout + result.stderr)
    assert len(submitted) == 2  # the two chunks; selection and gathering run on the head node
    chunks = sorted((tmp_path / "results" / "tiny" / "loo" / "chunks").glob("*.parquet"))
    assert len(chunks) == 2
    for path in chunks:
        (job,) = pd.read_parquet(path)["slurm_job_id"].unique()
        assert job in submitted
        assert (
            f"SLURM job {job} on" in (tmp_path / "results" / "tiny" / "logs" / "loo" / f"{path.stem}.log").read_text()
        )
        state = subprocess.run(["scontrol", "show", "job", job], capture_output=True, text=True).stdout
        assert "JobState=COMPLETED" in state
        assert "TimeLimit=00:14:00" in state  # from cluster.model_steps_per_second
    actual = pd.read_parquet(tmp_path / "results" / "tiny" / "loo" / "actual.parquet")
    assert actual["train_position"].nunique() == 4
