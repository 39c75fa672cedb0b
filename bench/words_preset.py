"""What the whole-corpus preset (presets/words.yaml) costs per unit of work on this machine: building the corpus and
its pairs, `block` for one objective, one closed-form Hessian-vector product (CG runs up to cg.max_iter of them),
an Adam step of 1 and of K stacked models (training runs training.steps of them; a from-scratch group run
training.steps steps of every set and its control; a loo chunk loo.steps steps of chunk_size + 1 models), and one
step of HYDRA's backward sweep (it walks loo.steps of them per objective, each after a replayed Adam step), with the
job times they imply.

    python bench/words_preset.py [--preset presets/words.yaml] [--stacked 4] [--out bench/results]

One thread, as a job runs; each is timed after a first call (which traces). Writes words_preset.json and prints a
Markdown table.
"""

import argparse
import json
import os
import platform
import resource
import time
import timeit
from pathlib import Path

import numpy as np
import tensorflow as tf
import yaml

from influential.core import config as cfg
from influential.core import contract
from influential.data import corpus
from influential.influence import hydra
from influential.models.skipgram import SkipGram
from influential.text import estimators, objectives, pairs
from influential.training import adam

REPO = Path(__file__).resolve().parents[1]


def per_call(fn, repeats: int) -> float:
    """Seconds per call after a first one (which traces)."""
    fn()
    return timeit.timeit(fn, number=repeats) / repeats


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", type=Path, default=REPO / "presets" / "words.yaml")
    parser.add_argument("--stacked", type=int, default=4, help="models stacked in the timed step")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    schema = cfg.load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")
    (settings,) = cfg.validate(yaml.safe_load(args.preset.read_text()), schema)["word_embeddings"].values()
    record = {"preset": args.preset.name, "machine": f"{platform.machine()}, {os.cpu_count()} cores, one thread"}

    started = time.perf_counter()
    text = corpus.read_bundled(REPO / "resources" / "brown.npz", settings["corpus"]["genres"])
    units = corpus.build(text, settings["corpus"]["min_count"], settings["corpus"]["unit"])
    signal = pairs.generate(units, **contract.word_pairs(settings))
    record["corpus_and_pairs_seconds"] = time.perf_counter() - started
    model = SkipGram(len(units.vocabulary), settings["model"]["dim"], settings["model"]["l2"], signal)
    record |= {"units": int(units.n_units), "vocabulary": len(units.vocabulary), "pairs": len(signal.centre)}
    record["parameters"] = model.n_params

    rng = np.random.default_rng(0)
    theta = model.initial_params(0).astype(np.float64)
    theta[model.n_params // 2 :] = rng.normal(0, 0.1, model.n_params // 2)
    bound = objectives.bind(objectives.resolve(settings["objectives"][0], units.vocabulary), units.vocabulary)
    record["block_seconds_one_objective"] = per_call(
        lambda: estimators.predict("block", model, theta, bound, {"damping": settings["influence"]["damping"]}), 1
    )
    operator = model.hessian_operator(theta, model.units(), model.units(), settings["influence"]["damping"], 0)
    v = rng.standard_normal(model.n_params)
    record["hvp_seconds"] = per_call(lambda: operator(v), 2)

    step = adam.stacked_step(model)
    x = tf.constant(model.units())
    batch_size = settings["training"]["batch_size"]
    for k in (1, args.stacked):
        thetas = tf.constant(np.tile(theta.astype(np.float32), (k, 1)))
        zeros, none = tf.zeros_like(thetas), tf.constant(np.full(k, adam.NOTHING_LEFT_OUT))
        batches = adam.minibatches(units.n_units, batch_size, 0)

        def one_step(t=thetas, z=zeros, n=none, b=batches):
            return step(t, z, z, tf.constant(0), x, x, tf.constant(next(b)), n, tf.constant(0.01))

        record[f"step_seconds_{k}_models"] = per_call(one_step, 3)
    back, loo = hydra._backward_step(model, hessian_aware=True), settings["loo"]
    one = tf.constant(theta)
    minibatch = tf.constant(rng.choice(units.n_units, loo["batch_size"], replace=False))
    adjoint = tf.constant(rng.standard_normal((1, model.n_params)))  # one direction
    moments = (one, tf.fill(one.shape, tf.constant(1e-6, tf.float64)), adjoint[0])  # m, v, the minibatch gradient
    rate, t, labels = tf.constant(0.001, tf.float64), tf.constant(10), tf.zeros_like(x)
    record["hydra_backward_step_seconds"] = per_call(
        lambda: back(one, *moments, rate, t, x, labels, minibatch, adjoint, adjoint, adjoint), 3
    )
    per_model = record[f"step_seconds_{args.stacked}_models"] / args.stacked
    groups = contract.word_group_sets(settings)
    n_sets = len(groups["sizes"]) * (2 * len(groups["objectives"]) + groups["random"]) + 1
    training = settings["training"]
    hydra_step = record["hydra_backward_step_seconds"] + record["step_seconds_1_models"]  # and its replay
    record["implied_cpu_hours"] = {
        "word_train": training["steps"] * record["step_seconds_1_models"] / 3600,
        "word_group_retrain_scratch_each": training["steps"] * n_sets * per_model / 3600,
        "word_loo_chunk_each": loo["steps"] * (loo["chunk_size"] + 1) * per_model / 3600,
        "word_influence_cg_per_objective": settings["influence"]["cg"]["max_iter"] * record["hvp_seconds"] / 3600,
        "word_influence_hydra_per_objective": loo["steps"] * hydra_step / 3600,
    }
    record["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "words_preset.json").write_text(json.dumps(record, indent=2) + "\n")
    print("| what | value |\n|---|---|")
    for key, value in record.items():
        print(f"| {key} | {value} |")


if __name__ == "__main__":
    main()
