"""Experiment lookup, output paths, target lists and wildcard constraints. Nothing here computes."""

EXPERIMENTS = config.get("run", list(config["experiments"]))


def experiment(exp):
    return config["experiments"][exp]


def test_names(exp):
    return [tp["name"] for tp in experiment(exp)["test_points"]]


def estimators(exp):
    return experiment(exp)["influence"]["estimators"]


def out(*parts):
    """A path under results/{exp}/, the one place output locations are spelled."""
    return os.path.join("results", "{exp}", *parts)


def dataset_inputs(wildcards):
    """Source files the data stage reads, by role, so that replacing one reruns it."""
    dataset = experiment(wildcards.exp)["dataset"]
    if dataset["source"] == "mnist_bundled":
        return {
            "bundled": os.path.join(workflow.basedir, "resources", "mnist_bundled.npz")
        }
    if dataset["source"] in ("npz", "idx"):
        return {"source": dataset["path"]}
    return {}


def influence_files(exp, suffix):
    """Every estimator's table (parquet) or diagnostics (json) for every test point of an experiment."""
    return expand(
        out("influence", "{estimator}", f"{{test}}.{suffix}"),
        exp=exp,
        estimator=estimators(exp),
        test=test_names(exp),
    )


def influence_inputs(wildcards):
    """Only the exact estimator reads the (expensive) factorised Hessian."""
    if wildcards.estimator == "exact":
        return {"hessian": out("hessian", "hessian.npz").format(exp=wildcards.exp)}
    return {}


def with_loo(*methods):
    """A regular expression matching the experiments whose leave-one-out method is one of `methods`."""
    names = [exp for exp in EXPERIMENTS if experiment(exp)["loo"]["method"] in methods]
    return "|".join(names) if names else "(?!)"  # (?!) matches nothing


def loo_chunk_starts(exp):
    loo = experiment(exp)["loo"]
    return list(range(0, loo["k"], loo["chunk_size"]))


def loo_chunks(exp):
    """Chunk files of a retraining experiment. A chunk holds ranks [start, start + chunk_size) of one test
    point's retraining order, so its content depends only on that test point's predicted influence: raising k or
    adding a test point adds chunks and leaves the existing ones (and their results) as they are.
    """
    return [
        out("loo", "chunks", test, f"ranks_{start:05d}.parquet").format(exp=exp)
        for test in test_names(exp)
        for start in loo_chunk_starts(exp)
    ]


def loo_chunk_runtime(wildcards):
    """Minutes a chunk job may take: its model-steps at a conservative 20 per second (this CPU does 60-80; a GPU
    many more), doubled, plus ten minutes of start-up."""
    loo = experiment(wildcards.exp)["loo"]
    return 10 + 2 * loo["steps"] * (loo["chunk_size"] + 1) // (20 * 60)


def training_runtime(wildcards):
    """Minutes the training job may take: its steps at a conservative 20 per second, doubled, plus ten."""
    training = experiment(wildcards.exp)["training"]
    return 10 + 2 * training.get("steps", 0) // (20 * 60)


def job_memory_mb(wildcards):
    """Memory for a TensorFlow job: a fixed 3 GB plus ten times the training inputs (float32)."""
    dataset = experiment(wildcards.exp)["dataset"]
    n = dataset["split"].get("n_train", 5500) + dataset["split"].get("n_test", 10000)
    return 3000 + 10 * n * 784 * 4 // 2**20


def experiment_targets(exp):
    """Everything an experiment's config asks for."""
    settings = experiment(exp)
    targets = [out("figures", "dataset.png"), out("tables", "estimators.csv")]
    if "exact" in estimators(exp):
        targets.append(out("hessian", "spectrum.json"))
    if settings["influence"]["all_pairs"]:
        targets.append(out("influence", "all_pairs.npz"))
    if settings["model"]["kind"] == "all_cnn":
        targets.append(out("figures", "training.png"))
    if settings["loo"]["method"] != "none":
        targets.append(out("tables", "agreement.csv"))
        targets += expand(
            out("figures", "influence_vs_loo_{estimator}.png"),
            estimator=estimators(exp),
            allow_missing=True,
        )
    targets = expand(targets, exp=exp)
    if settings["loo"]["method"] in ("warm_start", "reset"):
        # the chunks are targets themselves, so a lost or killed chunk is redone even though actual.parquet exists
        targets += [out("loo", "selected.csv").format(exp=exp), *loo_chunks(exp)]
    return targets


def all_targets():
    return [target for exp in EXPERIMENTS for target in experiment_targets(exp)]


wildcard_constraints:
    exp="|".join(EXPERIMENTS),
    test="|".join(sorted({t for exp in EXPERIMENTS for t in test_names(exp)})),
    estimator="|".join(sorted({e for exp in EXPERIMENTS for e in estimators(exp)})),
    start=r"\d{5}",
