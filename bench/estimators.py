"""P4: what each influence estimator costs per test point, side by side, at presets/cnn.yaml's scale.

    python bench/estimators.py [--train 1000] [--test-points 2] [--steps 4000] [--window 300] [--out bench/results]

Trains the all-CNN on --train bundled digits as presets/cnn.yaml does (Adam, 4,000 steps of 100, its trajectory
recorded every 100 steps), then times every estimator on the same test points in one process: exact (with its
one-off gradients, Hessian and eigendecomposition apart), cg, lissa, tracin (10 checkpoints), HYDRA over a
--window-step retraining window, Hessian-aware and Hessian-free, and TRAK (one model, projection_dim 128; its
one-off output gradients, projection and kernel apart). The cost for every test point of the test split is the
per-point cost times their number (exact and TRAK: their one-off cost plus the products). Also TRAK's output
gradients on 500 digits by the all-CNN's batched formula against TensorFlow's jacobian (batches of 50).
"""

import argparse
import logging
import os
import platform
import time
from pathlib import Path

import numpy as np

from influential.core import io
from influential.data import sources
from influential.derivatives import gradients
from influential.derivatives import hessian as hs
from influential.influence import registry, trak
from influential.training import fit as training

REPO = Path(__file__).resolve().parents[1]


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=1000)
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--test-points", type=int, default=2)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--window", type=int, default=300)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    split = {"method": "random", "n_train": args.train, "n_validation": 0, "n_test": args.test, "seed": 0}
    dataset = sources.build({"source": "mnist_bundled", "split": split}, REPO / "resources" / "mnist_bundled.npz")
    schedule = {
        "steps": args.steps,
        "batch_size": 100,
        "learning_rate": 1e-3,
        "schedule": [{"step": 3 * args.steps // 4, "factor": 0.1}],
        "seed": 0,
        "log_every": args.steps,
        "checkpoint_every": 100,
    }
    trained = training.train({"kind": "all_cnn", "weight_decay": 0.001}, schedule, dataset)
    model, theta, x, y = trained.model, trained.theta, dataset.train.x, dataset.train.y
    picks = np.arange(args.test_points)
    x_test, y_test = dataset.test.x[picks], dataset.test.y[picks]

    record = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "n_train": args.train, "n_test": args.test}
    train_gradients, record["exact_gradients_seconds"] = timed(gradients.per_example_gradients, model, theta, x, y)
    h, record["exact_hessian_seconds"] = timed(hs.hessian, model, theta, x, y, 500)
    factorised, record["exact_eigendecomposition_seconds"] = timed(hs.FactorisedHessian.of, h, 0.05)
    settings = {
        "damping": 0.05,
        "batch_size": 500,
        "cg": {"tol": 1e-5, "max_iter": 100},
        "lissa": {"scale": 100.0, "depth": 1000, "repeats": 1, "batch_size": 50, "seed": 0},
        "tracin": {"checkpoints": 10},
        "hydra": {"window": "retrain", "segment": 100},
        "retrain": {"method": "warm_start", "steps": args.window, "batch_size": 100, "seed": 0, "learning_rate": None},
        "schedule": schedule,
        "trak": {"projection_dim": 128, "models": 1, "seed": 0, "damping": 0.0},
    }
    runs = {}
    for name in ("exact", "cg", "lissa", "tracin", "hydra", "hydra_free", "trak"):
        started = time.perf_counter()
        estimator = registry.build(
            name,
            settings,
            model,
            theta,
            x,
            y,
            train_gradients=train_gradients,
            factorised=factorised,
            trajectory=trained.trajectory,
        )
        setup = getattr(estimator, "setup_seconds", 0.0)  # TRAK's one-off part
        estimator.change_if_removed(x_test, y_test)
        per_point = (time.perf_counter() - started - setup) / len(picks)
        runs[name] = {"seconds_per_test_point": per_point, "all_test_points_hours": per_point * args.test / 3600}
        if setup:
            runs[name]["setup_seconds"] = setup
        logging.info("%s: %.2f s per test point", name, per_point)
    one_off = sum(
        record[k] for k in ("exact_gradients_seconds", "exact_hessian_seconds", "exact_eigendecomposition_seconds")
    )
    runs["exact"]["all_test_points_hours"] = (one_off + runs["exact"]["seconds_per_test_point"] * args.test) / 3600
    record["trak_setup_seconds"] = setup = runs["trak"].pop("setup_seconds")
    runs["trak"]["all_test_points_hours"] = (setup + runs["trak"]["seconds_per_test_point"] * args.test) / 3600
    record["estimators"] = runs
    record["trak_output_gradients_500"] = {
        "formula_seconds": timed(trak.output_gradients, model, theta, x[:500], y[:500], 500)[1],
        "jacobian_seconds": timed(trak.output_gradients, model, theta, x[:500], y[:500], 50, formula=False)[1],
    }

    args.out.mkdir(parents=True, exist_ok=True)
    io.write_json(record, args.out / f"estimators_{args.train}.json")
    print(f"| estimator | seconds per test point | all {args.test} test points |\n|---|---|---|")
    for name, run in runs.items():
        print(f"| {name} | {run['seconds_per_test_point']:.3g} | {run['all_test_points_hours']:.2f} h |")
    print(f"exact's one-off cost (gradients, Hessian, eigendecomposition): {one_off:.0f} s; TRAK's: {setup:.2g} s")
    print(f"TRAK's output gradients of 500 digits: {record['trak_output_gradients_500']}")


if __name__ == "__main__":
    main()
