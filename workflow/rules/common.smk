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
    return expand(targets, exp=exp)


def all_targets():
    return [target for exp in EXPERIMENTS for target in experiment_targets(exp)]


wildcard_constraints:
    exp="|".join(EXPERIMENTS),
    test="|".join(sorted({t for exp in EXPERIMENTS for t in test_names(exp)})),
    estimator="|".join(sorted({e for exp in EXPERIMENTS for e in estimators(exp)})),
