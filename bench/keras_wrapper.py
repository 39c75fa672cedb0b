"""What the Keras wrapper costs: the built-in all-CNN against the same network as a user's Keras model
(examples/keras_all_cnn.py), side by side in one process on the same parameters and data.

    python bench/keras_wrapper.py [--train 500] [--models 10] [--steps 150] [--out bench/results]

Times, for each: a Hessian-vector product over the training set (compiled, after a first call), per-example
gradients of the training set, one Adam step of the training run (one model, batch 100) and of a stacked
leave-one-out retraining (--models models side by side, batch 100, warm start, as a loo_chunk job; start-up and
tracing included, as a job pays them), and the exact Hessian (the built-in's layer-block formula against the
wrapper's Hessian-vector products, 64 columns at a time).
"""

import argparse
import json
import logging
import os
import platform
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from influential import models
from influential.data import sources
from influential.loo import retrain
from influential.training import fit as training
from influential.training import optimizer

REPO = Path(__file__).resolve().parents[1]
KERAS_ALL_CNN = {
    "kind": "keras",
    "file": str(REPO / "examples" / "keras_all_cnn.py"),
    "build": "build",
    "output": "logits",
    "layers": [],
    "weight_decay": 0.001,
}


def seconds(fn, repeat: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=500)
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--hessian-train", type=int, default=100, help="training points of the exact Hessians")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    split = {"method": "random", "n_train": args.train, "n_validation": 0, "n_test": 100, "seed": 0}
    dataset = sources.build({"source": "mnist_bundled", "split": split}, REPO / "resources" / "mnist_bundled.npz")
    adam = {
        "steps": 200,
        "batch_size": 100,
        "learning_rate": 1e-3,
        "schedule": [],
        "seed": 0,
        "log_every": 200,
        "checkpoint_every": 200,
    }
    x, y = dataset.train.x, dataset.train.y
    v = np.random.default_rng(0).standard_normal(2616).astype(np.float32)
    runs = {}
    for name, config in (("built-in all_cnn", {"kind": "all_cnn", "weight_decay": 0.001}), ("keras", KERAS_ALL_CNN)):
        model = models.for_dataset(config, dataset)
        started = time.perf_counter()
        trained = training.train(config, adam, dataset)
        training_seconds = time.perf_counter() - started
        operator = model.hessian_operator(trained.theta, x, y, 0.0, args.train)
        operator(v)  # traced once
        settings = retrain.RetrainSettings("warm_start", args.steps, 100, seed=0)
        schedule = optimizer.AdamSettings(steps=1, batch_size=100, learning_rate=1e-4)
        retraining = seconds(
            lambda m=model, t=trained, s=settings, a=schedule: retrain.retrain(
                m, t.theta, t.optimizer, a, dataset.train, dataset.test, np.arange(args.models), s
            )
        )
        small = slice(0, args.hessian_train)
        runs[name] = {
            "hvp_seconds": seconds(lambda o=operator: o(v), repeat=5),
            "per_example_gradients_seconds": seconds(
                lambda m=model, t=trained: m.per_example_gradients(t.theta, x, y, 100)
            ),
            "training_step_seconds": training_seconds / adam["steps"],
            "retraining_model_step_seconds": retraining / (args.models * args.steps),
            "exact_hessian_seconds": seconds(
                lambda m=model, t=trained, b=small: m.loss_hessian(t.theta.astype(np.float64), x[b], y[b], 100)
            ),
        }
        logging.info("%s: %s", name, runs[name])
    ratios = {key: runs["keras"][key] / runs["built-in all_cnn"][key] for key in runs["keras"]}
    record = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, GPU: {bool(tf.config.list_physical_devices('GPU'))}",
        "train": args.train,
        "models": args.models,
        "steps": args.steps,
        "hessian_train": args.hessian_train,
        "runs": runs,
        "keras_over_builtin": ratios,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    gpu = "gpu" if tf.config.list_physical_devices("GPU") else "cpu"
    path = args.out / f"keras_wrapper_{gpu}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
