"""The Skip-gram model's Hessian-vector product (CG's operator): closed form over the unique (centre, partner)
entries against automatic differentiation (forward over backward), and a stacked training step of K models against
one, on the default run's corpus.

    python bench/skipgram.py [--genres romance] [--min-count 5] [--dim 16] [--out bench/results]

Both products are timed side by side in one process, float64, on one thread (as a job runs), after a first call
that traces; the two agree to 1e-8 relative. Writes a JSON record and prints a Markdown table.
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from influential.data import corpus
from influential.derivatives.autodiff import HessianOperator
from influential.models.skipgram import SkipGram
from influential.text import pairs
from influential.training import adam

REPO = Path(__file__).resolve().parents[1]


def per_call(fn, repeats: int) -> float:
    fn()  # trace
    started = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - started) / repeats


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genres", nargs="+", default=["romance"])
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    units = corpus.build(corpus.read_bundled(REPO / "resources" / "brown.npz", args.genres), args.min_count, "sentence")
    model = SkipGram(len(units.vocabulary), args.dim, 1e-4, pairs.generate(units, 2, 5, 0.0, 0))
    rng = np.random.default_rng(0)
    theta = rng.normal(0, 0.3, model.n_params)
    x = model.units()
    v = rng.standard_normal(model.n_params)
    closed = model.hessian_operator(theta, x, x, 0.0, len(x))
    autodiff = HessianOperator(model, theta, x, x, 0.0, 2000)
    record = {
        "genres": args.genres,
        "vocabulary": len(units.vocabulary),
        "units": int(units.n_units),
        "pairs": len(model.pairs.centre),
        "parameters": model.n_params,
        "closed_form_hvp_seconds": per_call(lambda: closed(v), 5),
        "autodiff_hvp_seconds": per_call(lambda: autodiff(v), 3),
        "relative_difference": float(np.abs(closed(v) - autodiff(v)).max() / np.abs(autodiff(v)).max()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, one thread",
    }
    step = adam.stacked_step(model)
    x_all, y_all = tf.constant(x), tf.constant(np.zeros(len(x), np.int32))
    for k in (1, 20):
        thetas = tf.constant(np.tile(theta.astype(np.float32), (k, 1)))
        zeros, none = tf.zeros_like(thetas), tf.constant(np.full(k, adam.NOTHING_LEFT_OUT))
        batches = adam.minibatches(len(x), 100, 0)

        def one_step(t=thetas, z=zeros, n=none, b=batches):
            return step(t, z, z, tf.constant(0), x_all, y_all, tf.constant(next(b)), n, tf.constant(0.01))

        record[f"step_seconds_{k}_models"] = per_call(one_step, 20)
    record["step_ms_per_model_20"] = 1000 * record["step_seconds_20_models"] / 20
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "skipgram.json").write_text(json.dumps(record, indent=2) + "\n")
    print("| what | seconds |\n|---|---|")
    print(f"| Hessian-vector product, closed form | {record['closed_form_hvp_seconds']:.3f} |")
    print(f"| Hessian-vector product, autodiff | {record['autodiff_hvp_seconds']:.3f} |")
    steps = record["step_seconds_1_models"], record["step_seconds_20_models"]
    print(f"| Adam step, 1 model / 20 stacked | {steps[0]:.4f} / {steps[1]:.4f} |")


if __name__ == "__main__":
    main()
