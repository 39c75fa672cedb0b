"""P3: leave-one-out retraining throughput, the vectorised engine against one model at a time.

    python bench/retrain.py [--models 16] [--steps 300] [--batch 100] [--out bench/results]

Trains the all-CNN briefly on 1,000 bundled digits, then continues it (warm start, the same protocol as the
workflow's loo_chunk jobs) for --models left-out points stacked (adam.models_per_call), and for a few of them one
at a time, side by side in one process. Reports model-steps per second for both (start-up and tracing included, as
a job pays them), and extrapolates the thesis-scale run (1,000 retrains x 30,000 steps x minibatch 500)on this machine.
"""

import argparse
import logging
import os
import platform
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from influential.core import io
from influential.data import sources
from influential.loo import retrain
from influential.training import adam, optimizer
from influential.training import fit as training

REPO = Path(__file__).resolve().parents[1]


def throughput(model, trained, dataset, left_out, steps, batch):
    settings = retrain.RetrainSettings("warm_start", steps, batch, seed=0)
    schedule = optimizer.AdamSettings(steps=1, batch_size=batch, learning_rate=1e-4)
    started = time.perf_counter()
    retrain.retrain(model, trained.theta, trained.optimizer, schedule, dataset.train, dataset.test, left_out, settings)
    return len(left_out) * steps / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=16)
    parser.add_argument("--single", type=int, default=3, help="models timed one at a time")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    split = {"method": "random", "n_train": 1000, "n_validation": 0, "n_test": 100, "seed": 0}
    dataset = sources.build({"source": "mnist_bundled", "split": split}, REPO / "resources" / "mnist_bundled.npz")
    settings = {
        "steps": 500,
        "batch_size": 100,
        "learning_rate": 1e-3,
        "schedule": [],
        "seed": 0,
        "log_every": 500,
        "checkpoint_every": 500,
    }
    trained = training.train({"kind": "all_cnn", "weight_decay": 0.001}, settings, dataset)
    gpu = bool(tf.config.list_physical_devices("GPU"))
    record = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, GPU: {gpu}",
        "steps": args.steps,
        "models": args.models,
        "runs": [],
    }
    for batch in args.batch:
        vectorised = throughput(trained.model, trained, dataset, np.arange(args.models), args.steps, batch)
        single = np.mean(
            [throughput(trained.model, trained, dataset, np.array([k]), args.steps, batch) for k in range(args.single)]
        )
        record["runs"].append(
            {
                "batch_size": batch,
                "models_per_call": adam.models_per_call(args.models, batch),
                "vectorised_model_steps_per_second": vectorised,
                "one_at_a_time_model_steps_per_second": single,
                "ratio": vectorised / single,
            }
        )
        logging.info("batch %d: vectorised %.1f, one at a time %.1f model-steps/s", batch, vectorised, single)
    at_500 = next((r for r in record["runs"] if r["batch_size"] == 500), record["runs"][-1])
    thesis_model_steps = 1000 * 30000
    record["thesis_scale_hours_here"] = thesis_model_steps / at_500["vectorised_model_steps_per_second"] / 3600

    args.out.mkdir(parents=True, exist_ok=True)
    io.write_json(record, args.out / f"retrain_{'gpu' if gpu else 'cpu'}.json")
    print("| batch | vectorised (model-steps/s) | one at a time | ratio |\n|---|---|---|---|")
    for r in record["runs"]:
        print(
            f"| {r['batch_size']} | {r['vectorised_model_steps_per_second']:.1f} | "
            f"{r['one_at_a_time_model_steps_per_second']:.1f} | {r['ratio']:.2f} |"
        )
    print(f"thesis scale (1,000 x 30,000 steps x 500) here: {record['thesis_scale_hours_here']:.0f} hours")


if __name__ == "__main__":
    main()
