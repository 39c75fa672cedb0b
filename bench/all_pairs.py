"""P1 / P2: influence of every training point on every test point for the all-CNN, against per-test-point CG.

    python bench/all_pairs.py [--train 5500] [--test 4500] [--steps 2000] [--cg-points 3] [--out bench/results]

Trains the all-CNN briefly on the bundled digits, then times, side by side in one process:
- per-example gradients: the batched formula against TensorFlow's vectorised Jacobian (on a sample, extrapolated);
- the exact Hessian: the layer-block scheme against 2,616 plain Hessian-vector products (a sample, extrapolated);
- the all-pairs matrix (gradients + Hessian + eigendecomposition + products) against CG run per test point
  (a few test points, extrapolated to the whole test split);
- the cost of one more test point for `exact` and for `cg` (P2).
Writes a JSON record and prints a Markdown table.
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
from influential.derivatives import gradients
from influential.derivatives import hessian as hs
from influential.influence import registry
from influential.training import fit as training

REPO = Path(__file__).resolve().parents[1]


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=5500)
    parser.add_argument("--test", type=int, default=4500)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--cg-points", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    log = logging.getLogger("bench")

    split = {"method": "random", "n_train": args.train, "n_validation": 0, "n_test": args.test, "seed": 0}
    dataset = sources.build({"source": "mnist_bundled", "split": split}, REPO / "resources" / "mnist_bundled.npz")
    adam = {
        "steps": args.steps,
        "batch_size": 100,
        "learning_rate": 1e-3,
        "schedule": [],
        "seed": 0,
        "log_every": args.steps,
        "checkpoint_every": args.steps,
    }
    trained, t_train = timed(training.train, {"kind": "all_cnn", "weight_decay": 0.001}, adam, dataset)
    model, theta = trained.model, trained.theta
    x, y, x_test, y_test = dataset.train.x, dataset.train.y, dataset.test.x, dataset.test.y
    record = {
        "n_train": args.train,
        "n_test": args.test,
        "training_steps": args.steps,
        "train_seconds": t_train,
        "test_accuracy": trained.summary["test_accuracy"],
        "gradient_norm": trained.summary["gradient_norm"],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }

    # Per-example gradients: batched formula against the vectorised Jacobian on a sample.
    train_gradients, record["gradients_train_seconds"] = timed(gradients.per_example_gradients, model, theta, x, y, 500)
    sample = 200
    t = tf.constant(theta)

    def jacobian():
        with tf.GradientTape() as tape:
            tape.watch(t)
            losses = model.loss(t, x[:sample], y[:sample])
        return tape.jacobian(losses, t).numpy()

    jacobian()  # trace once
    _, t_jacobian = timed(jacobian)
    record["jacobian_ms_per_example"] = 1000 * t_jacobian / sample
    record["formula_ms_per_example"] = 1000 * record["gradients_train_seconds"] / args.train
    log.info(
        "per-example gradients: %(formula_ms_per_example).3f ms (formula) vs %(jacobian_ms_per_example).2f ms", record
    )

    # Exact Hessian: block scheme, against plain Hessian-vector products extrapolated to 2,616 of them.
    h, record["hessian_seconds"] = timed(hs.hessian, model, theta, x, y, 500)
    operator = hs.hessian_operator(model, theta, x, y, 0.0, 500)
    probe = np.random.default_rng(0).standard_normal(model.n_params).astype(np.float32)
    operator(probe)
    _, t_hvp = timed(lambda: [operator(probe) for _ in range(3)])
    record["hvp_seconds"] = t_hvp / 3
    record["hessian_by_hvps_seconds_extrapolated"] = record["hvp_seconds"] * model.n_params
    eigenvalues = np.linalg.eigvalsh(h)
    damping = max(0.01, float(-eigenvalues.min()) + 0.01)  # Koh's 0.01, or enough to make H + damping I definite
    record |= {
        "min_eigenvalue": float(eigenvalues.min()),
        "max_eigenvalue": float(eigenvalues.max()),
        "damping": damping,
    }
    factorised, record["eigendecomposition_seconds"] = timed(hs.FactorisedHessian.of, h, damping)

    settings = {"damping": damping, "batch_size": 500, "cg": {"tol": 1e-6, "max_iter": 100}}
    exact = registry.build(
        "exact", settings, model, theta, x, y, train_gradients=train_gradients, factorised=factorised
    )
    matrix, record["all_pairs_products_seconds"] = timed(exact.all_pairs, x_test, y_test)
    record["all_pairs_total_seconds"] = (
        record["gradients_train_seconds"]
        + record["hessian_seconds"]
        + record["eigendecomposition_seconds"]
        + record["all_pairs_products_seconds"]
    )

    # Per test point: exact (gradient + solve + products) and CG on a few test points.
    _, t_exact = timed(exact.change_if_removed, x_test[:1], y_test[:1])
    record["exact_seconds_per_test_point"] = t_exact  # test gradient, solve, products, and a residual check
    record["exact_solve_seconds"] = exact.diagnostics[0]["seconds"]
    cg = registry.build("cg", settings, model, theta, x, y, train_gradients=train_gradients)
    picks = np.arange(args.cg_points)
    changes, t_cg = timed(cg.change_if_removed, x_test[picks], y_test[picks])
    record["cg_seconds_per_test_point"] = t_cg / args.cg_points
    record["cg_solve_seconds"] = [d["seconds"] for d in cg.diagnostics]
    record["cg_iterations"] = [d["iterations"] for d in cg.diagnostics]
    record["cg_relative_residual"] = [d["relative_residual"] for d in cg.diagnostics]
    record["cg_vs_exact_pearson"] = [float(np.corrcoef(changes[i], matrix[i])[0, 1]) for i in picks]
    record["cg_all_test_points_seconds_extrapolated"] = record["cg_seconds_per_test_point"] * args.test
    record["speedup_all_pairs_vs_cg"] = (
        record["cg_all_test_points_seconds_extrapolated"] / record["all_pairs_total_seconds"]
    )

    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"all_pairs_{args.train}x{args.test}.json"
    io.write_json(record, target)
    print("| quantity | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in record.items()))


if __name__ == "__main__":
    main()
