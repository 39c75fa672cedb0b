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


def all_targets():
    targets = []
    for exp in EXPERIMENTS:
        targets += expand(
            out("figures", "influence_vs_loo_{estimator}.png"),
            exp=exp,
            estimator=estimators(exp),
        )
        targets += expand(out("figures", "dataset.png"), exp=exp)
        targets += expand(out("tables", "agreement.csv"), exp=exp)
        targets += expand(out("hessian", "spectrum.json"), exp=exp)
    return targets


wildcard_constraints:
    exp="|".join(EXPERIMENTS),
    test="|".join(sorted({t for exp in EXPERIMENTS for t in test_names(exp)})),
    estimator="|".join(sorted({e for exp in EXPERIMENTS for e in estimators(exp)})),
