"""P6: the trajectory estimators for many test points, one at a time against all in one pass or sweep.

    python bench/trajectory_sweeps.py [--train 1000] [--steps 4000] [--window 300] [--points 16] [--out bench/results]

Trains the all-CNN on --train bundled digits as presets/cnn.yaml does (its trajectory recorded every 100 steps),
then, side by side in one process, gives TracIn (10 checkpoints) and HYDRA over a --window-step retraining window,
Hessian-aware and Hessian-free, --points test points' losses one call each (`change_if_removed`, one pass or sweep
per test point) and all at once (`change_for_objectives`, one pass or sweep for all). Reports seconds per test point
both ways, their ratio, and the all-pairs matrix of --train test points against every training point as a ratio to
the model's training time: measured for TracIn and Hessian-free HYDRA (`all_pairs`, every training point's loss as a
test point), at the batched rate of 16 for HYDRA.
"""

import argparse
import logging
import os
import platform
import time
from pathlib import Path

from influential.core import io
from influential.data import sources
from influential.influence import registry
from influential.testpoints import cross_loss
from influential.testpoints.objectives import Objective
from influential.training import fit as training

REPO = Path(__file__).resolve().parents[1]


def seconds(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--window", type=int, default=300)
    parser.add_argument("--points", type=int, default=16)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    split = {"method": "random", "n_train": args.train, "n_validation": 0, "n_test": args.points, "seed": 0}
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
    started = time.perf_counter()
    trained = training.train({"kind": "all_cnn", "weight_decay": 0.001}, schedule, dataset)
    training_seconds = time.perf_counter() - started
    model, theta = trained.model, trained.theta
    loss = cross_loss.bind(Objective(), model, dataset)
    objectives = [loss] * args.points
    examples = [(dataset.test.x[[i]], dataset.test.y[[i]]) for i in range(args.points)]
    settings = {
        "batch_size": 500,
        "tracin": {"checkpoints": 10},
        "hydra": {"window": "retrain", "segment": 100},
        "retrain": {"method": "warm_start", "steps": args.window, "batch_size": 100, "seed": 0, "learning_rate": None},
        "schedule": schedule,
    }
    record = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "n_train": args.train,
        "training_seconds": training_seconds,
        "test_points": args.points,
        "hydra_window_steps": args.window,
        "estimators": {},
    }
    x, y = dataset.train.x, dataset.train.y
    for name in ("tracin", "hydra_free", "hydra"):
        estimator = registry.build(name, settings, model, theta, x, y, trajectory=trained.trajectory)
        estimator.change_for_objectives(objectives[:1], examples[:1])  # traces the compiled steps once, untimed
        alone = seconds(lambda e=estimator: [e.change_if_removed(*pair) for pair in examples]) / args.points
        together = seconds(lambda e=estimator: e.change_for_objectives(objectives, examples)) / args.points
        all_pairs = together * args.train
        record["estimators"][name] = {
            "seconds_per_test_point_one_at_a_time": alone,
            "seconds_per_test_point_together": together,
            "speedup": alone / together,
            "all_pairs_seconds": all_pairs,
            "all_pairs_over_training": all_pairs / training_seconds,
        }
        logging.info("%s: %s", name, record["estimators"][name])

    # all pairs measured (as the workflow's all_pairs jobs make them) where it is affordable: every training point's
    # loss as a test point
    for name in ("tracin", "hydra_free"):
        estimator = registry.build(name, settings, model, theta, x, y, trajectory=trained.trajectory)
        measured = seconds(lambda e=estimator: e.all_pairs(x, y))
        record["estimators"][name] |= {
            "all_pairs_seconds": measured,
            "all_pairs_over_training": measured / training_seconds,
        }
        logging.info("%s: all pairs measured in %.1f s", name, measured)

    args.out.mkdir(parents=True, exist_ok=True)
    io.write_json(record, args.out / f"trajectory_sweeps_{args.train}.json")
    print(f"training: {training_seconds:.1f} s; {args.points} test points; HYDRA window {args.window} steps")
    print("| estimator | s per test point, one at a time | together | speedup | all pairs / training |")
    print("|---|---|---|---|---|")
    for name, run in record["estimators"].items():
        alone, together = run["seconds_per_test_point_one_at_a_time"], run["seconds_per_test_point_together"]
        ratio = run["all_pairs_over_training"]
        print(f"| {name} | {alone:.3g} | {together:.3g} | {run['speedup']:.1f} | {ratio:.1f} |")


if __name__ == "__main__":
    main()
