"""Experiment lookup, output paths, each job's settings, target lists and wildcard constraints. Nothing here
computes."""

import csv
import math

from influential.core import contract, names, provenance
from influential.lds import subsets as lds_subsets

RUN = config.get(
    "run", [*config["experiments"], *config["mixtures"], *config["word_embeddings"]]
)
EXPERIMENTS = [name for name in RUN if name in config["experiments"]]
MIXTURES = [name for name in RUN if name in config["mixtures"]]
WORDS = [name for name in RUN if name in config["word_embeddings"]]


def experiment(exp):
    return config["experiments"][exp]


def mixture_settings(mix):
    return config["mixtures"][mix]


def word_settings(word):
    return config["word_embeddings"][word]


def test_names(exp):
    return [tp["name"] for tp in experiment(exp)["test_points"]]


def test_point_spec(exp, test):
    return next(tp for tp in experiment(exp)["test_points"] if tp["name"] == test)


def objective_tests(exp):
    """The test points whose objective is not their loss: measured on the stored leave-one-out models."""
    return [
        tp["name"]
        for tp in experiment(exp)["test_points"]
        if tp["objective"]["kind"] != names.CROSS_ENTROPY
    ]


def choosing_tests(exp):
    """The test points that choose the points to retrain (by default those whose objective is their loss)."""
    return [
        tp["name"] for tp in experiment(exp)["test_points"] if chooses_retrained(tp)
    ]


def estimators(exp):
    return experiment(exp)["influence"]["estimators"]


def trained_by_adam(exp):
    """The all-CNN and a user's Keras model: minibatch Adam, a trajectory, retraining (a GPU's work)."""
    return experiment(exp)["model"]["kind"] != names.LOGISTIC_REGRESSION


def model_file(wildcards):
    """A user's Keras model file, so that editing it retrains the model and reruns what follows."""
    model = experiment(wildcards.exp)["model"]
    return {"model_file": model["file"]} if model["kind"] == names.KERAS else {}


def out(*parts):
    """A path under results/{exp}/, the one place output locations are spelled."""
    return os.path.join("results", "{exp}", *parts)


def mix_out(*parts):
    """A path under results/{mix}/ (a mixture experiment's)."""
    return os.path.join("results", "{mix}", *parts)


def word_out(*parts):
    """A path under results/{word}/ (a word-embedding experiment's)."""
    return os.path.join("results", "{word}", *parts)


def library_code(script):
    """A rule's `code` parameter: the library modules its script imports (directly or through other modules) and
    a digest of their source, so that editing a module reruns exactly the jobs that use it (see provenance).
    """
    return provenance.code(os.path.join(workflow.basedir, "scripts", f"{script}.py"))


def dataset_inputs(wildcards):
    """Source files the data stage reads, by role, so that replacing one reruns it. The bundled digits are named
    relative to the working directory, so that moving a checkout with its results reruns nothing.
    """
    dataset = experiment(wildcards.exp)["dataset"]
    if dataset["source"] == "mnist_bundled":
        bundled = os.path.join(workflow.basedir, "resources", "mnist_bundled.npz")
        return {"bundled": os.path.relpath(bundled)}
    if dataset["source"] in ("npz", "idx"):
        return {"source": dataset["path"]}
    return {}


def influence_files(exp, suffix, tests=None, estimator=None):
    """Every (or one) estimator's table (parquet) or diagnostics (json) for the given (default: every) test point."""
    return expand(
        out("influence", "{estimator}", f"{{test}}.{suffix}"),
        exp=exp,
        estimator=estimators(exp) if estimator is None else [estimator],
        test=test_names(exp) if tests is None else tests,
    )


def one_job(exp, name):
    """Whether all test points of `exp` go to one job for estimator `name` (names.ONE_JOB_ESTIMATORS): not for the
    estimator that chooses the points to retrain, whose tables the selection and the parameter change read, so
    that a new test point never reruns them."""
    loo = experiment(exp)["loo"]
    chooses = loo["method"] in names.RETRAINING and loo["estimator"] == name
    return name in names.ONE_JOB_ESTIMATORS and not chooses


def one_job_estimators():
    """(experiment, estimator) pairs whose test points all go to one job."""
    return [
        (exp, name)
        for exp in EXPERIMENTS
        for name in estimators(exp)
        if one_job(exp, name)
    ]


def per_test_point(family):
    """A wildcard pattern for the estimators of `family` that get a job per test point, in the experiments where
    they do (a fixed-width look-behind at the experiment's folder per alternative, as one wildcard cannot name
    another)."""
    return name_pattern(
        [
            f"(?<=/{exp}/influence/){name}"
            for exp in EXPERIMENTS
            for name in family
            if name in estimators(exp) and not one_job(exp, name)
        ]
    )


ESTIMATOR_INPUT_FILES = {
    names.TRAIN_GRADIENTS: out("influence", "train_gradients.npz"),
    names.HESSIAN: out("hessian", "hessian.npz"),
    names.TRAJECTORY: out("model", "trajectory.npz"),
}


# The script of an estimator's influence jobs: one per family, so that editing one family's code reruns no other's.
ESTIMATOR_SCRIPTS = {
    **{name: "influence" for name in names.INFLUENCE_FUNCTIONS},
    **{name: "trajectory_influence" for name in names.TRAJECTORY_ESTIMATORS},
    names.TRAK: "trak_influence",
}


def estimator_inputs(exp, name):
    """What an estimator reads besides the data and the model, by role (names.ESTIMATOR_INPUTS)."""
    return {
        role: ESTIMATOR_INPUT_FILES[role].format(exp=exp)
        for role in names.ESTIMATOR_INPUTS[name]
    }


def influence_inputs(wildcards):
    return estimator_inputs(wildcards.exp, wildcards.estimator)


def settings_of(exp, name):
    return contract.estimator(experiment(exp), name)


def estimator_settings(wildcards):
    return settings_of(wildcards.exp, wildcards.estimator)


def ranker_inputs(wildcards):
    """A mislabel ranker's inputs besides data and model: its estimator's, none for the baselines."""
    if wildcards.ranker in names.ESTIMATOR_RANKERS:
        estimator, _ = names.ESTIMATOR_RANKERS[wildcards.ranker]
        return estimator_inputs(wildcards.exp, estimator)
    return {}


def ranker_settings(wildcards):
    """Its estimator's settings, or the mislabel seed for the random ranking (so that it alone follows the seed)."""
    if wildcards.ranker in names.ESTIMATOR_RANKERS:
        estimator, _ = names.ESTIMATOR_RANKERS[wildcards.ranker]
        return settings_of(wildcards.exp, estimator)
    if wildcards.ranker == names.RANDOM:
        return {"seed": experiment(wildcards.exp)["mislabel"]["seed"]}
    return {}


def fix_trainings(exp):
    """How many models the fix experiment trains: every ranker and `all` per protocol, and `none` once."""
    mislabel = experiment(exp)["mislabel"]
    return 1 + len(mislabel["protocols"]) * (len(mislabel["rankers"]) + 1)


def mislabel_rankings(wildcards):
    return expand(
        out("mislabel", "{ranker}.parquet"),
        exp=wildcards.exp,
        ranker=experiment(wildcards.exp)["mislabel"]["rankers"],
    )


def name_pattern(chosen):
    """A regular expression matching exactly these experiment names."""
    return "|".join(chosen) if chosen else "(?!)"  # (?!) matches nothing


def with_loo(*methods):
    """The experiments whose leave-one-out method is one of `methods`, as a wildcard pattern."""
    return name_pattern(
        [exp for exp in EXPERIMENTS if experiment(exp)["loo"]["method"] in methods]
    )


def with_lds():
    """The experiments with the linear datamodeling score (lds.subsets > 0), as a wildcard pattern."""
    return name_pattern(
        [exp for exp in EXPERIMENTS if contract.lds_fractions(experiment(exp))]
    )


LDS_CHUNK_PATTERN = lds_subsets.CHUNK_PATTERN


def lds_chunks(wildcards):
    """Every chunk of subset models the experiment's `lds` asks for."""
    lds = experiment(wildcards.exp)["lds"]
    chunks = lds_subsets.chunks(
        contract.lds_fractions(experiment(wildcards.exp)),
        lds["subsets"],
        lds["chunk_size"],
        lds["seed"],
    )
    return [
        out("lds", "chunks", f"{chunk.name}.parquet").format(exp=wildcards.exp)
        for chunk in chunks
    ]


def lds_table(exp):
    """tables/lds.csv where the experiment has the linear datamodeling score (agreement.csv takes its rows)."""
    if contract.lds_fractions(experiment(exp)):
        return [out("tables", "lds.csv").format(exp=exp)]
    return []


def lds_chunk_runtime(wildcards):
    """Minutes an LDS chunk may take: its trainings at training's runtime each (logistic: ten minutes)."""
    if not trained_by_adam(wildcards.exp):
        return 10
    lds = experiment(wildcards.exp)["lds"]
    return training_runtime(wildcards) * lds["chunk_size"] * lds["seeds"]


def retrain_settings(exp):
    return contract.retraining(experiment(exp))


def read_plan(path):
    """Training position -> chunk pairs of a plan.csv written by loo_select."""
    with open(path) as f:
        return [(int(row["train_position"]), row["chunk"]) for row in csv.DictReader(f)]


def planned_chunks(plan_path, chunk_file):
    """The chunk files a plan names (chunk_file: chunk name -> its path), each once, in order."""
    return [chunk_file(c) for c in sorted({c for _, c in read_plan(plan_path)})]


def planned_positions(plan_path, chunk):
    """A chunk's left-out positions. The plan is read as a file, not through the checkpoint: a chunk job exists
    only once the plan does, and a cluster job's own Snakemake does not know the checkpoint as done.
    """
    return [position for position, name in read_plan(plan_path) if name == chunk]


def minutes_for(model_steps):
    """Minutes a job training `model_steps` Adam steps (over all its models) may ask SLURM for: twice their time
    at cluster.model_steps_per_second, plus ten minutes of start-up."""
    rate = config["cluster"]["model_steps_per_second"]
    return 10 + math.ceil(2 * model_steps / (rate * 60))


def chunk_minutes(loo):
    """Minutes a chunk job may take: its models (and the control) times its steps."""
    return minutes_for(loo["steps"] * (loo["chunk_size"] + 1))


def loo_chunks(exp):
    """The chunk files of a retraining experiment, named after their left-out positions (see loo.plan); known once
    the loo_select checkpoint has run."""
    return planned_chunks(
        checkpoints.loo_select.get(exp=exp).output.plan,
        lambda c: out("loo", "chunks", f"{c}.parquet").format(exp=exp),
    )


def loo_models(wildcards):
    """The stored leave-one-out models: the retraining chunks, or the logistic refits."""
    exp = wildcards.exp
    if experiment(exp)["loo"]["method"] in names.RETRAINING:
        return loo_chunks(exp)
    return [out("loo", "refits.parquet").format(exp=exp)]


def loo_tables(wildcards):
    """What loo_gather reads: the stored models, the selection (retraining), and every other test objective's
    values on the models."""
    exp = wildcards.exp
    chosen = {
        "tables": loo_models(wildcards),
        "objectives": expand(
            out("loo", "objectives", "{test}.parquet"),
            exp=exp,
            test=objective_tests(exp),
        ),
    }
    if experiment(exp)["loo"]["method"] in names.RETRAINING:
        chosen["selected"] = checkpoints.loo_select.get(exp=exp).output.selected
    return chosen


def chunk_positions(wildcards):
    """A retraining chunk's left-out training positions (planned_positions)."""
    return planned_positions(
        out("loo", "plan.csv").format(exp=wildcards.exp), wildcards.chunk
    )


def loo_chunk_runtime(wildcards):
    return chunk_minutes(experiment(wildcards.exp)["loo"])


def training_runtime(wildcards):
    """Minutes the training job may take (logistic regression: ten)."""
    return minutes_for(experiment(wildcards.exp)["training"].get("steps", 0))


def job_memory_mb(wildcards):
    """Memory for a TensorFlow job: a fixed 3 GB plus ten times the training inputs (float32)."""
    dataset = experiment(wildcards.exp)["dataset"]
    n = dataset["split"].get("n_train", 5500) + dataset["split"].get("n_test", 10000)
    return 3000 + 10 * n * 784 * 4 // 2**20


def experiment_targets(exp):
    """Everything an experiment's config asks for."""
    settings = experiment(exp)
    targets = [out("figures", "dataset.png"), out("tables", "estimators.csv")]
    if names.EXACT in estimators(exp):
        targets.append(out("hessian", "spectrum.json"))
    targets += [
        out("influence", "all_pairs", f"{name}.npz")
        for name in contract.all_pairs(settings)
    ]
    if trained_by_adam(exp):
        targets.append(out("figures", "training.png"))
    if settings["loo"]["method"] in names.RETRAINING:
        targets += [
            out("figures", "parameter_change.png"),
            out("tables", "parameter_change.csv"),
        ]
    if settings["mislabel"]["enabled"]:
        targets += expand(
            out("mislabel", "{ranker}.parquet"),
            ranker=settings["mislabel"]["rankers"],
            allow_missing=True,
        )
        if "label_noise" in settings["dataset"]:
            targets += [
                out("tables", "mislabel.csv"),
                out("tables", "mislabel_fix.csv"),
                out("figures", "mislabel.png"),
            ]
    if contract.lds_fractions(settings):
        targets.append(out("tables", "lds.csv"))
    if settings["loo"]["method"] != "none":
        targets.append(out("tables", "agreement.csv"))
        targets += expand(
            out("figures", "influence_vs_loo_{estimator}.png"),
            estimator=estimators(exp),
            allow_missing=True,
        )
    return expand(targets, exp=exp)


def embedding_figure(name):
    return report(
        out("figures", "embedding", "{test}", f"{name}.png"),
        caption=f"../report/embedding_{name}.rst",
        category="{exp}",
        subcategory="Embedding space: {test}",
    )


def embeddings_on(exp):
    """The embedding analysis runs on Adam-trained experiments with retrained (actual) influence."""
    settings = experiment(exp)
    return (
        settings["embeddings"]["enabled"]
        and trained_by_adam(exp)
        and settings["loo"]["method"] in names.RETRAINING
    )


def with_embeddings():
    return name_pattern([exp for exp in EXPERIMENTS if embeddings_on(exp)])


def embedding_targets(exp):
    if not embeddings_on(exp):
        return []
    tables = [
        "embedding_correlations.csv",
        "table_5_1.csv",
        "table_5_1.md",
        "mahalanobis_overlap.csv",
    ]
    targets = [out("tables", name) for name in tables]
    targets += [out("embeddings", "projector"), out("figures", "embedding", "tsne.png")]
    targets += expand(
        out("figures", "embedding", "{test}", "{figure}.png"),
        test=test_names(exp),
        figure=names.EMBEDDING_FIGURES,
        allow_missing=True,
    )
    targets += expand(
        out("learned_metric", "{test}.json"), test=test_names(exp), allow_missing=True
    )
    return expand(targets, exp=exp)


def mixture_models(output):
    """One rule's output for both models, in names.MIXTURE_MODELS' order."""
    return expand(output, model=names.MIXTURE_MODELS, allow_missing=True)


def mixture_targets():
    figures = ["influential", "pred_vs_actual", "correlations"]
    targets = [mix_out("tables", "mixture_summary.csv")]
    targets += [mix_out("figures", f"mixture_{name}.png") for name in figures]
    return expand(targets, mix=MIXTURES)


def word_targets():
    targets = [word_out("tables", "influential_units.csv")]
    for word in WORDS:
        if word_settings(word)["loo"]["method"] != "none":
            targets += expand(
                [
                    word_out("tables", "agreement.csv"),
                    word_out("figures", "pred_vs_actual.png"),
                ],
                word=word,
            )
        if contract.word_group_runs(word_settings(word)):
            targets += expand(
                [
                    word_out("tables", "group_agreement.csv"),
                    word_out("figures", "groups_by_size.png"),
                ],
                word=word,
            )
    return expand(targets, word=WORDS)


def corpus_source(wildcards):
    """The text a word-embedding experiment reads: the user's file, or the bundled Brown corpus (named relative to
    the working directory, as dataset_inputs names the bundled digits)."""
    corpus = word_settings(wildcards.word)["corpus"]
    if corpus["source"] == "text":
        return corpus["file"]
    return os.path.relpath(os.path.join(workflow.basedir, "resources", "brown.npz"))


def measured_units(wildcards):
    """The units' measured changes, where retraining runs."""
    if word_settings(wildcards.word)["loo"]["method"] == "none":
        return []
    return rules.word_loo_gather.output[0].format(word=wildcards.word)


def word_chunks(word):
    """A word-embedding experiment's retraining chunks, known once word_loo_select has run."""
    return planned_chunks(
        checkpoints.word_loo_select.get(word=word).output.plan,
        lambda c: word_out("loo", "chunks", f"{c}.parquet").format(word=word),
    )


def word_chunk_positions(wildcards):
    """A word-embedding chunk's left-out units (planned_positions)."""
    return planned_positions(
        word_out("loo", "plan.csv").format(word=wildcards.word), wildcards.chunk
    )


def word_chunk_runtime(wildcards):
    return chunk_minutes(word_settings(wildcards.word)["loo"])


def word_group_run_files(wildcards):
    """A word-embedding experiment's group-removal runs, from scratch ones first (the figures draw the first)."""
    runs = contract.word_group_runs(word_settings(wildcards.word))
    ordered = sorted(runs, key=lambda run: run == names.WARM_START)
    return expand(
        word_out("groups", "runs", "{run}.parquet"), word=wildcards.word, run=ordered
    )


def word_group_runtime(wildcards):
    """Minutes a group-removal run may take: chunk_minutes' rate over every set and the control."""
    settings = word_settings(wildcards.word)
    chosen = contract.word_group_sets(settings)
    sets = len(chosen["sizes"]) * (2 * len(chosen["objectives"]) + chosen["random"])
    retrain = contract.word_group_run(settings, wildcards.group_run)
    return chunk_minutes({"steps": retrain["steps"], "chunk_size": sets})


def word_trajectory(wildcards):
    """The recorded training, for the estimators that walk it (tracin, the hydras)."""
    if wildcards.word_estimator not in names.TRAJECTORY_ESTIMATORS:
        return []
    return word_out("model", "trajectory.npz").format(word=wildcards.word)


def word_shifted_settings(wildcards):
    """The settings of each estimator that runs and gives parameter changes (block, exact): their shifted group
    predictions."""
    settings = word_settings(wildcards.word)
    return {
        name: contract.estimator(settings, name)
        for name in names.CHANGE_ESTIMATORS
        if name in settings["influence"]["estimators"]
    }


def all_targets():
    return (
        mixture_targets()
        + word_targets()
        + [
            target
            for exp in EXPERIMENTS
            for target in experiment_targets(exp) + embedding_targets(exp)
        ]
    )


def all_chunks(wildcards):
    """Every retraining chunk, as targets themselves: a lost or killed chunk is redone even though actual.parquet
    exists. Apart from all_targets, so that the rest of the DAG is known before the checkpoint has run.
    """
    retrained = [
        exp
        for exp in EXPERIMENTS
        if experiment(exp)["loo"]["method"] in names.RETRAINING
    ]
    words = [word for word in WORDS if word_settings(word)["loo"]["method"] != "none"]
    return [chunk for exp in retrained for chunk in loo_chunks(exp)] + [
        chunk for word in words for chunk in word_chunks(word)
    ]


wildcard_constraints:
    exp=name_pattern(EXPERIMENTS),
    mix=name_pattern(MIXTURES),
    word=name_pattern(WORDS),
    word_estimator=name_pattern(names.WORD_ESTIMATORS),
    group_run=rf"{names.WARM_START}|{names.SCRATCH}\d+",
    model=name_pattern(names.MIXTURE_MODELS),
    ranker=name_pattern(names.MISLABEL_RANKERS),
    test=name_pattern(sorted({t for exp in EXPERIMENTS for t in test_names(exp)})),
    estimator=name_pattern(sorted({e for exp in EXPERIMENTS for e in estimators(exp)})),
    chunk=names.CHUNK_PATTERN,
