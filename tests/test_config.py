import copy
import re

import pytest
import yaml

from influential.core import config as cfg
from influential.core import contract

from .conftest import REPO


def minimal(**experiment):
    exp = {
        "dataset": {"source": "synthetic", "split": {"n_train": 20, "n_validation": 0, "n_test": 5}},
        "model": {"kind": "logistic_regression"},
        "test_points": [{"name": "t", "select": "index", "index": 0}],
    }
    exp.update(experiment)
    return {"experiments": {"exp": exp}}


ENOUGH_FOR_BATCHES_OF_500 = {"source": "synthetic", "split": {"n_train": 600, "n_validation": 0, "n_test": 5}}


def error_of(config, schema) -> str:
    with pytest.raises(cfg.ConfigError) as info:
        cfg.validate(config, schema)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_defaults_are_filled_in(schema):
    exp = cfg.validate(minimal(), schema)["experiments"]["exp"]
    assert exp["training"] == {"tol": 1e-8, "max_iter": 1000}
    assert exp["model"]["C"] == 1.0
    assert exp["influence"]["estimators"] == ["exact"] and exp["influence"]["damping"] == 0.0
    assert exp["influence"]["cg"] == {"tol": 1e-6, "max_iter": 100}
    assert exp["influence"]["lissa"]["scale"] == 10.0 and exp["influence"]["all_pairs"] is False
    assert exp["dataset"]["split"]["seed"] == 0
    assert exp["dataset"]["synthetic"]["outlier"] == {"x": [7.0, 7.0], "label": 0}
    assert exp["loo"]["method"] == "refit" and exp["loo"]["k"] == 500 and exp["loo"]["learning_rate"] is None


def test_validation_does_not_modify_its_input(schema):
    config = minimal()
    before = copy.deepcopy(config)
    cfg.validate(config, schema)
    assert config == before


def test_unknown_key_is_named_with_the_allowed_ones(schema):
    message = error_of(minimal(training={"maxiter": 5}), schema)
    assert message == (
        "config: experiments.exp.training: unknown key 'maxiter' (allowed: max_iter, tol); did you mean 'max_iter'?"
    )


def test_wrong_type_names_the_key(schema):
    message = error_of(minimal(training={"max_iter": "lots"}), schema)
    assert message == "config: experiments.exp.training.max_iter: 'lots' is not of type 'integer'"


def test_wrong_value_names_the_key_and_the_choices(schema):
    config = minimal()
    config["experiments"]["exp"]["dataset"]["source"] = "cifar"
    message = error_of(config, schema)
    assert message.startswith("config: experiments.exp.dataset.source: 'cifar' is not one of 'synthetic'")


def test_out_of_range_value_names_the_key(schema):
    message = error_of(minimal(model={"kind": "logistic_regression", "C": 0}), schema)
    assert message.startswith("config: experiments.exp.model.C: 0 is less than or equal to the minimum")


def test_missing_split_size_is_named(schema):
    config = minimal()
    del config["experiments"]["exp"]["dataset"]["split"]["n_test"]
    assert error_of(config, schema) == "config: experiments.exp.dataset.split: 'n_test' is a required property"


def test_rule_based_test_point_needs_a_label(schema):
    message = error_of(minimal(test_points=[{"name": "t", "select": "first_misclassified"}]), schema)
    assert message == "config: experiments.exp.test_points.0: 'label' is a required property"


def test_koh_split_needs_official_mnist_and_no_sizes(schema):
    config = minimal()
    config["experiments"]["exp"]["dataset"]["split"] = {"method": "koh"}
    assert error_of(config, schema) == "config: experiments.exp.dataset.split.method: 'koh' needs source 'mnist'"
    config["experiments"]["exp"]["dataset"] = {
        "source": "mnist",
        "classes": [1, 7],
        "split": {"method": "koh", "n_train": 5},
    }
    assert error_of(config, schema).endswith("fixes the sizes (5500/5000/10000); remove n_train")


def test_file_sources_need_a_path(schema):
    config = minimal()
    config["experiments"]["exp"]["dataset"]["source"] = "npz"
    assert error_of(config, schema) == "config: experiments.exp.dataset.path: required for source 'npz'"


def test_a_refit_sample_must_fit_the_training_split_and_the_method(schema):
    assert error_of(minimal(loo={"sample": 22}), schema) == (
        "config: experiments.exp.loo.sample: 22 refits, but the training split has 21"
    )
    message = error_of(minimal(loo={"method": "none", "sample": 5}), schema)
    assert message == "config: experiments.exp.loo.sample: samples the refits of method refit, not 'none'"
    assert (
        cfg.validate(minimal(loo={"sample": 20, "refit_from": "fit"}), schema)["experiments"]["exp"]["loo"]["sample"]
        == 20
    )


def test_arnoldis_krylov_subspace_must_exceed_its_rank(schema):
    influence = {"estimators": ["exact", "arnoldi"], "arnoldi": {"rank": 30, "krylov": 30}}
    assert error_of(minimal(influence=influence), schema) == (
        "config: experiments.exp.influence.arnoldi.krylov: 30 must exceed rank (30)"
    )
    defaults = cfg.validate(minimal(influence={"estimators": ["arnoldi"]}), schema)["experiments"]["exp"]["influence"]
    assert defaults["arnoldi"] == {"rank": 50, "krylov": 150, "seed": 0, "tol": 1e-6}


def test_duplicate_test_point_names_are_rejected(schema):
    point = {"name": "t", "select": "index", "index": 0}
    message = error_of(minimal(test_points=[point, point]), schema)
    assert message == "config: experiments.exp.test_points: duplicated name 't'"


def test_run_must_name_declared_experiments(schema):
    config = minimal()
    config["run"] = ["exp", "nope"]
    assert error_of(config, schema) == "config: run: no experiment, mixture or word_embeddings named 'nope'"


def test_mixtures_are_filled_in_and_checked(schema):
    config = cfg.validate({"mixtures": {"mix": {}}}, schema)
    assert config["experiments"] == {}
    assert config["mixtures"]["mix"] == {
        "data": {"means": [[0.0, 0.0], [5.0, 5.0], [5.0, -5.0]], "std": 1.25, "n_per_class": 50, "seed": 0},
        "fit": {"n_init": 1, "seed": 0, "gtol": 1e-10},
        "l2": {"unsupervised": 0.0, "matched": 0.1},
        "figures": {"test_point": None, "top": 10, "dpi": 150},
    }
    config = minimal() | {"mixtures": {"mix": {}}, "run": ["mix"]}
    assert cfg.validate(config, schema)["run"] == ["mix"]
    problems = {
        "config: mixtures.mix.data.means: the means have different dimensions (1, 2)": {
            "data": {"means": [[0.0, 0.0], [1.0]]}
        },
        "config: mixtures.mix.figures.test_point: 30 is outside the data (0..29)": {
            "data": {"n_per_class": 10},
            "figures": {"test_point": 30},
        },
        "config: mixtures.mix.l2.matched: 0 is less than or equal to the minimum of 0": {"l2": {"matched": 0}},
    }
    for message, mixture in problems.items():
        assert error_of({"mixtures": {"mix": mixture}}, schema) == message
    assert error_of(minimal() | {"mixtures": {"exp": {}}}, schema) == (
        "config: mixtures: 'exp' is also an experiment (one results/ folder)"
    )
    assert error_of({"experiments": {}}, schema) == (
        "config: experiments: none declared (declare at least one experiment, mixture or word_embeddings)"
    )


def test_word_embeddings_are_filled_in_and_checked(schema):
    weat = {
        "name": "bias",
        "kind": "weat",
        "targets": ["male_terms", "female_terms"],
        "attributes": [["a", "b"], "family"],
    }
    config = cfg.validate({"word_embeddings": {"words": {"objectives": [weat]}}}, schema)["word_embeddings"]["words"]
    assert config["corpus"] == {"source": "brown", "genres": None, "min_count": 5, "unit": "sentence"}
    assert config["model"] == {"dim": 100, "window": 5, "negatives": 5, "subsample": 0.0, "l2": 1e-4, "seed": 0}
    assert config["training"]["steps"] == 2000 and config["training"]["seed"] == 0
    assert config["influence"]["estimators"] == ["block", "cg"]
    assert config["influence"]["exact"] == {"output_words": 100}
    assert config["influence"]["lissa"] == {"scale": 0.5, "depth": 1000, "batch_size": 100, "repeats": 1, "seed": 0}
    assert config["influence"]["hydra"] == {"window": "retrain", "segment": 100}
    assert config["loo"] == {
        "method": "warm_start",
        "estimator": "block",
        "k": 10,
        "chunk_size": 10,
        "steps": 300,
        "batch_size": 100,
        "learning_rate": None,
        "seed": 0,
    }
    assert config["groups"] == {
        "sizes": [],
        "random": 3,
        "seeds": [0, 1, 2],
        "warm_start": True,
        "estimator": "block",
        "objectives": None,
        "seed": 0,
    }
    near = {"name": "near", "kind": "distance", "words": ["he", "she"]}
    problems = {
        "config: word_embeddings.w.corpus.file: required for source 'text'": {"corpus": {"source": "text"}},
        "config: word_embeddings.w.objectives: duplicated name 'near'": {"objectives": [near, near]},
        "config: word_embeddings.w.loo.estimator: 'block' is not in influence.estimators": {
            "influence": {"estimators": ["cg"]}
        },
        "config: word_embeddings.w.objectives.0: 'attributes' is a required property": {
            "objectives": [{"name": "x", "kind": "weat", "targets": ["male_terms", "female_terms"]}]
        },
        "config: word_embeddings.w.corpus.unit: 'paragraph' is not one of 'sentence', 'document'": {
            "corpus": {"unit": "paragraph"}
        },
        "config: word_embeddings.w.groups.objectives: 'far' is not an objective": {
            "groups": {"sizes": [10], "objectives": ["far"]}
        },
        "config: word_embeddings.w.groups.estimator: 'cg' is not in influence.estimators": {
            "groups": {"sizes": [10], "estimator": "cg"},
            "influence": {"estimators": ["block"]},
        },
        "config: word_embeddings.w.groups: sizes given but no seeds and no warm_start: nothing would retrain them": {
            "groups": {"sizes": [10], "seeds": [], "warm_start": False}
        },
        "config: word_embeddings.w.influence.hydra.window: 'retrain' walks the leave-one-out retraining, which "
        "loo.method 'none' does not run (set window: full)": {
            "influence": {"estimators": ["block", "hydra_free"]},
            "loo": {"method": "none"},
        },
    }
    for message, settings in problems.items():
        assert error_of({"word_embeddings": {"w": {"objectives": [near]} | settings}}, schema) == message
    assert error_of(minimal() | {"word_embeddings": {"exp": {"objectives": [near]}}}, schema) == (
        "config: word_embeddings: 'exp' is also an experiment (one results/ folder)"
    )


def test_bad_experiment_name_is_rejected(schema):
    config = {"experiments": {"my-exp": minimal()["experiments"]["exp"]}}
    assert error_of(config, schema).startswith("config: experiments: 'my-exp' does not match")


@pytest.mark.parametrize("path", ["config.yaml", *sorted(p.name for p in (REPO / "presets").glob("*.yaml"))])
def test_shipped_configs_are_valid(schema, path):
    """config.yaml, and each preset merged into it as Snakemake merges a --configfile (key by key, recursively)."""

    def merge(base: dict, extra: dict) -> dict:
        for key, value in extra.items():
            base[key] = merge(base[key], value) if isinstance(value, dict) and key in base else value
        return base

    base = yaml.safe_load((REPO / "config.yaml").read_text())
    if path != "config.yaml":
        merge(base, yaml.safe_load((REPO / "presets" / path).read_text()))
    cfg.validate(base, schema)


def test_training_keys_follow_the_model_kind(schema):
    cnn = minimal(model={"kind": "all_cnn"}, loo={"method": "none"}, dataset=ENOUGH_FOR_BATCHES_OF_500)
    exp = cfg.validate(cnn, schema)["experiments"]["exp"]
    assert exp["model"] == {"kind": "all_cnn", "weight_decay": 0.001}
    assert exp["training"]["steps"] == 500000 and exp["training"]["learning_rate"] == 1e-4
    assert exp["training"]["schedule"] == [{"step": 110000, "factor": 0.1}, {"step": 220000, "factor": 0.01}]
    message = error_of(minimal(model={"kind": "all_cnn"}, loo={"method": "none"}, training={"tol": 1e-8}), schema)
    assert message.startswith("config: experiments.exp.training: unknown key 'tol' (allowed: batch_size,")
    assert error_of(minimal(model={"kind": "all_cnn", "C": 1.0}), schema) == (
        "config: experiments.exp.model: unknown key 'C' (allowed: kind, weight_decay)"
    )
    assert error_of(minimal(model={"kind": "all_cnn"}), schema) == (
        "config: experiments.exp.loo.method: 'refit' is for logistic_regression; use warm_start for all_cnn"
    )


def test_what_the_config_shows_about_the_data_is_checked_before_any_job(schema):
    # 20 drawn training examples and the synthetic outlier: k and batch sizes up to 21 are fine
    cnn = {"model": {"kind": "all_cnn"}, "training": {"batch_size": 21}}
    assert cfg.validate(minimal(**cnn, loo={"method": "warm_start", "k": 21, "batch_size": 21}), schema)
    assert error_of(minimal(**cnn | {"training": {"batch_size": 22}}, loo={"method": "none"}), schema) == (
        "config: experiments.exp.training.batch_size: 22 is larger than the training split (21)"
    )
    assert error_of(minimal(**cnn, loo={"method": "warm_start", "k": 22, "batch_size": 10}), schema) == (
        "config: experiments.exp.loo.k: 22 points to retrain, but the training split has 21"
    )
    assert error_of(minimal(**cnn, loo={"method": "warm_start", "k": 10, "batch_size": 30}), schema) == (
        "config: experiments.exp.loo.batch_size: 30 is larger than the training split (21)"
    )
    label = minimal(test_points=[{"name": "t", "select": "first_correct", "label": 2}])
    assert error_of(label, schema) == (
        "config: experiments.exp.test_points.0.label: 2 is not a class of this dataset (labels 0..1)"
    )
    index = minimal(test_points=[{"name": "t", "select": "index", "index": 5}])
    assert error_of(index, schema) == "config: experiments.exp.test_points.0.index: 5 is outside the test split (0..4)"


def test_embedding_settings(schema):
    cnn = minimal(model={"kind": "all_cnn"}, loo={"method": "none"}, dataset=ENOUGH_FOR_BATCHES_OF_500)
    exp = cfg.validate(cnn, schema)["experiments"]["exp"]
    assert exp["embeddings"]["covariance"] == "ledoit_wolf" and len(exp["embeddings"]["layers"]) == 8
    assert exp["embeddings"]["ann"]["epochs"] == 250 and exp["embeddings"]["tsne"]["perplexity"] == 19
    wrong = minimal(
        model={"kind": "all_cnn"},
        loo={"method": "none"},
        dataset=ENOUGH_FOR_BATCHES_OF_500,
        embeddings={"layers": ["h1_a"]},
    )
    assert error_of(wrong, schema) == (
        "config: experiments.exp.embeddings.table_layer: 'logits' is not in embeddings.layers"
    )
    assert error_of(minimal(embeddings={"covariance": "inverse"}), schema).startswith(
        "config: experiments.exp.embeddings.covariance: 'inverse' is not one of"
    )


def point(objective: dict) -> list[dict]:
    return [{"name": "t", "select": "index", "index": 0, "objective": objective}]


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        ({"kind": "probability"}, "experiments.exp.test_points.0.objective: 'class' is a required property"),
        ({"kind": "embedding_distance"}, "experiments.exp.test_points.0.objective: 'position' is a required property"),
        ({"kind": "probability", "class": 2}, "test_points.0.objective.class: 2 is not a class of this dataset (0..1)"),
        ({"kind": "margin", "layer": "h2_a"}, "objective.layer: logistic_regression has no layer 'h2_a' (its layers:"),
        (
            {"kind": "embedding_distance", "split": "test", "position": 5},
            "experiments.exp.test_points.0.objective.position: 5 is outside the test split (0..4)",
        ),
        (
            {"kind": "loss"},
            "experiments.exp.test_points.0.objective.kind: 'loss' is not one of 'cross_entropy', 'margin',",
        ),
    ],
)
def test_bad_test_objectives_are_named(schema, objective, message):
    assert message in error_of(minimal(test_points=point(objective)), schema)


def test_test_objectives_default_to_the_loss_and_retraining_needs_one(schema):
    exp = cfg.validate(minimal(), schema)["experiments"]["exp"]
    assert exp["test_points"][0]["objective"] == {"kind": "cross_entropy", "layer": "logits", "split": "train"}
    cnn = minimal(
        model={"kind": "all_cnn"},
        dataset={"source": "mnist_bundled", "split": {"n_train": 20, "n_validation": 0, "n_test": 5}},
        training={"steps": 2, "batch_size": 5},
        test_points=point({"kind": "margin"}),
        loo={"method": "warm_start", "k": 2, "batch_size": 5},
    )
    assert error_of(cnn, schema).endswith(
        "retraining (loo.method warm_start) needs a test point that chooses the points to retrain (objective "
        "cross_entropy, or choose_retrained: true)"
    )
    cnn["experiments"]["exp"]["test_points"][0]["choose_retrained"] = True
    chooser = cfg.validate(cnn, schema)["experiments"]["exp"]["test_points"][0]
    assert cfg.chooses_retrained(chooser)
    assert not cfg.chooses_retrained({**chooser, "objective": {"kind": "cross_entropy"}, "choose_retrained": False})


def test_label_noise_settings(schema):
    dataset = {"source": "synthetic", "split": {"n_train": 20, "n_validation": 0, "n_test": 5}}
    noisy = minimal(dataset=dataset | {"label_noise": {"fraction": 0.1}})
    assert cfg.validate(noisy, schema)["experiments"]["exp"]["dataset"]["label_noise"] == {"fraction": 0.1, "seed": 0}
    too_many = minimal(dataset=dataset | {"label_noise": {"fraction": 1.5}})
    assert error_of(too_many, schema) == (
        "config: experiments.exp.dataset.label_noise.fraction: 1.5 is greater than the maximum of 1"
    )
    bad_pair = minimal(dataset=dataset | {"label_noise": {"fraction": 0.1, "map": [[7]]}})
    assert error_of(bad_pair, schema).startswith("config: experiments.exp.dataset.label_noise.map.0: [7] is too short")


def test_mislabel_settings(schema):
    enabled = {"enabled": True, "rankers": ["exact", "cg", "training_loss"]}
    config = cfg.validate(minimal(mislabel=enabled, influence={"estimators": ["exact", "cg"]}), schema)
    defaults = {"inspect": 0.1, "fix": 0.1, "seed": 0, "protocols": ["restore"], "clean": "validation"}
    assert config["experiments"]["exp"]["mislabel"] == enabled | defaults
    assert error_of(minimal(mislabel=enabled), schema) == (
        "config: experiments.exp.mislabel.rankers: 'cg' needs 'cg' in influence.estimators"
    )
    assert error_of(minimal(mislabel={"rankers": ["hydra_self"]}), schema).startswith(
        "config: experiments.exp.mislabel.rankers.0: 'hydra_self' is not one of 'exact', 'cg', 'lissa', 'arnoldi', "
        "'tracin', 'hydra', 'hydra_free', 'trak', 'exact_validation'"
    )
    hydra = {"enabled": True, "rankers": ["hydra_validation"]}
    assert error_of(minimal(mislabel=hydra), schema) == (
        "config: experiments.exp.mislabel.rankers: 'hydra_validation' needs 'hydra' in influence.estimators"
    )
    cnn = {"model": {"kind": "all_cnn"}, "loo": {"method": "none"}, "influence": {"estimators": ["hydra"]}}
    cnn |= {"dataset": ENOUGH_FOR_BATCHES_OF_500}
    assert error_of(minimal(mislabel=hydra, **cnn), schema) == (
        "config: experiments.exp.influence.hydra.window: 'hydra_validation' walks the leave-one-out retraining "
        "window, which loo.method 'none' does not run (set window: full)"
    )
    validating = {"enabled": True, "rankers": ["exact_validation"]}
    assert error_of(minimal(mislabel=validating), schema) == (  # minimal() has no validation split
        "config: experiments.exp.mislabel.clean: the validation split is empty (dataset.split.n_validation is 0)"
    )


def test_every_rule_that_asks_for_a_gpu_goes_to_the_gpu_partition_on_slurm():
    """A rule that may ask for a GPU (`gpu=` in its resources) left out of profiles/slurm's set-resources would
    ask the CPU partition for one; left out of profiles/slurm-cpu's, it would ask a cluster without GPUs for one."""
    rules = {}
    for path in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for block in re.split(r"\n(?=(?:rule|checkpoint) )", path.read_text()):
            name = re.match(r"(?:rule|checkpoint) (\w+):", block)
            if name and re.search(r"^\s+gpu=", block, re.MULTILINE):
                rules[name.group(1)] = path.name
    assert {"train", "loo_chunk", "word_train", "word_loo_chunk", "word_group_retrain"} <= set(rules)
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())["set-resources"]
    for rule in rules:
        assert profile.get(rule, {}).get("slurm_partition") == "YOUR_GPU_PARTITION", rule
    # and the CPU-only cluster's profile asks for none (tests/test_slurm.py runs it on a real SLURM)
    cpu = yaml.safe_load((REPO / "profiles" / "slurm-cpu" / "config.yaml").read_text())
    assert cpu["default-resources"]["slurm_partition"] == "YOUR_CPU_PARTITION"
    for rule in rules:
        assert cpu["set-resources"][rule] == {"gpu": 0}, rule


def test_all_pairs_names_estimators_that_give_every_pair(schema):
    cnn = {"model": {"kind": "all_cnn"}, "dataset": ENOUGH_FOR_BATCHES_OF_500, "loo": {"method": "none"}}
    every = {"estimators": ["exact", "cg", "tracin", "hydra_free"], "all_pairs": True}
    exp = cfg.validate(minimal(influence=every, **cnn), schema)["experiments"]["exp"]
    assert contract.all_pairs(exp) == ["exact", "tracin", "hydra_free"]  # cg solves per test point
    assert contract.all_pairs(cfg.validate(minimal(), schema)["experiments"]["exp"]) == []
    missing = {"estimators": ["exact"], "all_pairs": ["exact", "tracin"]}
    assert error_of(minimal(influence=missing, **cnn), schema) == (
        "config: experiments.exp.influence.all_pairs: 'tracin' is not in estimators"
    )
    assert error_of(minimal(influence={"estimators": ["cg"], "all_pairs": ["cg"]}), schema) == (
        "config: experiments.exp.influence.all_pairs.0: 'cg' is not one of 'exact', 'tracin', 'hydra', 'hydra_free'"
    )


def test_lds_settings(schema):
    exp = cfg.validate(minimal(), schema)["experiments"]["exp"]
    assert exp["lds"] == {"subsets": 0, "fraction": 0.5, "seeds": 1, "chunk_size": 25, "seed": 0}
    assert contract.lds_fractions(exp) == []  # off
    on = cfg.validate(minimal(lds={"subsets": 10, "fraction": [0.5, 0.9]}), schema)["experiments"]["exp"]
    assert contract.lds_fractions(on) == [0.5, 0.9]
    assert contract.lds_training(on) == {"training": on["training"], "seeds": 1}
    assert error_of(minimal(lds={"subsets": 10, "fraction": 0.99}), schema) == (  # 20 + the synthetic outlier
        "config: experiments.exp.lds.fraction: 0.99 of 21 training points is 21; a subset must hold some points "
        "and leave some out"
    )
    assert error_of(minimal(lds={"subsets": 10, "fraction": 1.5}), schema) == (
        "config: experiments.exp.lds.fraction: 1.5 is greater than or equal to the maximum of 1"
    )


def test_trak_settings(schema):
    exp = cfg.validate(minimal(influence={"estimators": ["exact", "trak"]}), schema)["experiments"]["exp"]
    assert exp["influence"]["trak"] == {"projection_dim": 512, "models": 1, "seed": 0, "damping": 0.0}
    assert contract.estimator(exp, "trak") == {"batch_size": 500, "trak": exp["influence"]["trak"]}
    ensemble = minimal(influence={"estimators": ["trak"], "trak": {"models": 3}})
    assert contract.estimator(cfg.validate(ensemble, schema)["experiments"]["exp"], "trak")["schedule"] == {
        "tol": 1e-08,
        "max_iter": 1000,
    }  # an ensemble's other models are trained as training trains
    cnn = {"model": {"kind": "all_cnn"}, "dataset": ENOUGH_FOR_BATCHES_OF_500}
    retrained = {"method": "warm_start", "estimator": "trak", "batch_size": 100}
    assert error_of(minimal(influence={"estimators": ["trak"]}, loo=retrained, **cnn), schema) == (
        "config: experiments.exp.loo.estimator: trak does not choose the points to retrain (use exact)"
    )
