"""Where a run's time went: every job's time from its Snakemake benchmark, and whether it loaded TensorFlow (the
last line of its log), summed per experiment, with TensorFlow's start-up share estimated from its import time.

    python bench/job_times.py [results] [--import-seconds 9.5] [--out bench/results/job_times.json]

--import-seconds is `python -c "import tensorflow"` on the machine that ran the jobs (two at a time if the run was
`--cores 2`); the start-up share is that times the jobs that loaded it, over the summed job time.
"""

import argparse
import json
from pathlib import Path

import pandas as pd


def job_times(results: Path) -> pd.DataFrame:
    """A row per job: experiment, job (its benchmark's path), seconds, and whether it loaded TensorFlow."""
    rows = []
    for benchmark in sorted(results.glob("*/benchmarks/**/*.tsv")):
        experiment, _, *parts = benchmark.relative_to(results).parts
        job = str(Path(*parts).with_suffix(""))
        log = results / experiment / "logs" / f"{job}.log"
        lines = log.read_text().splitlines() if log.exists() else []
        rows.append(
            {
                "experiment": experiment,
                "job": job,
                "seconds": float(pd.read_csv(benchmark, sep="\t")["s"].iloc[0]),
                "tensorflow": bool(lines) and lines[-1].endswith("done (TensorFlow loaded)"),
            }
        )
    return pd.DataFrame(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="?", default="results", type=Path)
    parser.add_argument("--import-seconds", type=float, required=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    jobs = job_times(args.results)
    per_experiment = jobs.groupby("experiment").agg(
        jobs=("seconds", "size"), seconds=("seconds", "sum"), tensorflow_jobs=("tensorflow", "sum")
    )
    total, loading = jobs["seconds"].sum(), int(jobs["tensorflow"].sum())
    summary = {
        "jobs": len(jobs),
        "summed_seconds": round(total, 1),
        "tensorflow_jobs": loading,
        "tensorflow_import_seconds": args.import_seconds,
        "tensorflow_startup_share": round(loading * args.import_seconds / total, 4),
        "per_experiment": per_experiment.reset_index().to_dict("records"),
    }
    print(per_experiment.to_string())
    print(json.dumps({k: v for k, v in summary.items() if k != "per_experiment"}))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1, default=int) + "\n")


if __name__ == "__main__":
    main()
