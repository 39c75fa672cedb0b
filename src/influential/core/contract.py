"""What each job is given, built from an experiment's validated config (whose defaults the schema fills in): the one
contract between the workflow (workflow/rules/common.smk) and the library's `from_config`s and `build`s. A job gets
only the settings it uses, so changing another setting reruns nothing of it."""

from influential.core import names

RETRAINING_KEYS = ("method", "steps", "batch_size", "seed", "learning_rate")  # what a retrained model depends on


def retraining(experiment: dict) -> dict:
    """The settings a retrained model depends on (loo.retrain.RetrainSettings); k, chunk_size and estimator only
    decide which models exist."""
    return {key: experiment["loo"][key] for key in RETRAINING_KEYS}


def estimator(experiment: dict, name: str) -> dict:
    """The settings one estimator of an experiment or a word-embedding experiment uses: the shared batch size (and
    damping, where a damped system is solved), its own section (names.SETTINGS_SECTIONS), and for HYDRA over the
    retraining window what that window is: the retraining settings and the training schedule it continues."""
    influence = experiment["influence"]
    chosen = {"batch_size": influence["batch_size"]}
    if name in names.DAMPED_ESTIMATORS:
        chosen["damping"] = influence["damping"]
    if name in names.INFLUENCE_FUNCTIONS and influence.get("layers"):
        chosen["layers"] = influence["layers"]
    section = names.SETTINGS_SECTIONS.get(name)
    if section in influence:
        chosen[section] = influence[section]
    if section == "hydra" and influence["hydra"]["window"] == "retrain":
        chosen |= {"retrain": retraining(experiment), "schedule": experiment["training"]}
    if name == names.TRAK and influence["trak"]["models"] > 1:  # the ensemble's other models are trained
        chosen["schedule"] = experiment["training"]
    return chosen


def all_pairs(experiment: dict) -> list[str]:
    """The estimators whose every (test, training) pair `influence.all_pairs` asks for: true, every estimator of the
    experiment that gives them (names.ALL_PAIRS_ESTIMATORS); a list, those."""
    chosen, influence = experiment["influence"]["all_pairs"], experiment["influence"]
    if chosen is True:
        return [name for name in influence["estimators"] if name in names.ALL_PAIRS_ESTIMATORS]
    return list(chosen or [])


def lds_fractions(experiment: dict) -> list[float]:
    """The subset fractions of `lds` (a number or a list), as a list; none when the stage is off."""
    lds = experiment["lds"]
    if not lds["subsets"]:
        return []
    return [float(f) for f in (lds["fraction"] if isinstance(lds["fraction"], list) else [lds["fraction"]])]


def lds_training(experiment: dict) -> dict:
    """What a subset's model depends on besides its subset and the model (the trained model's file): training's
    settings and the training runs per subset."""
    if experiment["model"]["kind"] == names.LOGISTIC_REGRESSION:  # one refit per subset: its fit is unique
        return {"training": experiment["training"], "seeds": 1}
    return {"training": experiment["training"], "seeds": experiment["lds"]["seeds"]}


def word_pairs(settings: dict) -> dict:
    """The model settings a word-embedding experiment's pairs depend on (not the dimension or l2: only training
    reads those)."""
    return {key: settings["model"][key] for key in ("window", "negatives", "subsample", "seed")}


def word_model(settings: dict) -> dict:
    """What a Skip-gram model is besides its pairs: dimension and l2."""
    return {key: settings["model"][key] for key in ("dim", "l2")}


def word_group_run(settings: dict, run: str) -> dict:
    """The retraining settings of one group-removal run (names.WARM_START, or names.SCRATCH + a seed): warm-started
    as loo retrains, or from scratch over the whole training schedule with that seed."""
    if run == names.WARM_START:
        return retraining(settings) | {"method": names.WARM_START}
    training = settings["training"]
    seed = int(run.removeprefix(names.SCRATCH))
    return {"method": "reset", "steps": training["steps"], "batch_size": training["batch_size"], "seed": seed}


def word_group_runs(settings: dict) -> list[str]:
    """A word-embedding experiment's group-removal runs, one job each."""
    groups = settings["groups"]
    if not groups["sizes"]:
        return []
    runs = [names.WARM_START] if groups["warm_start"] else []
    return runs + [f"{names.SCRATCH}{seed}" for seed in groups["seeds"]]


def word_group_sets(settings: dict) -> dict:
    """What the removed sets depend on besides the chosen estimator's predictions."""
    groups = settings["groups"]
    chosen = groups["objectives"] or [objective["name"] for objective in settings["objectives"]]
    return {"sizes": groups["sizes"], "random": groups["random"], "seed": groups["seed"], "objectives": chosen}
