"""Validation of the workflow configuration against its JSON schema, with defaults and one-line errors."""

import ast
import copy
import difflib
from collections.abc import Mapping
from pathlib import Path

import jsonschema
import yaml

from influential.core import contract, names
from influential.core.errors import InputError

# libyaml where the wheel has it: the Snakefile loads the schema and validates the config on every invocation
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class ConfigError(InputError):
    """A configuration problem, described in one line that names the offending key."""


def _with_defaults(validator_class):
    """A validator class that fills in each property's `default` before validating it (jsonschema FAQ)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if isinstance(subschema, dict) and "default" in subschema:
                    instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def _plain_copy(value):
    """A deep copy made of plain YAML types (dicts, lists, scalars), whatever mappings or sequences came in."""
    return yaml.load(yaml.dump(value, Dumper=SafeDumper), Loader=SafeLoader)


def _describe(error: jsonschema.ValidationError) -> str:
    key = ".".join(str(part) for part in error.absolute_path) or "<top level>"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unexpected = sorted(set(error.instance) - set(allowed))
        guesses = [difflib.get_close_matches(u, allowed, n=1) for u in unexpected]
        hint = "; did you mean " + " or ".join(repr(g[0]) for g in guesses if g) + "?" if any(guesses) else ""
        listed = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"{key}: unknown key {', '.join(repr(u) for u in unexpected)}{listed}{hint}"
    if error.validator == "enum":
        return f"{key}: {error.instance!r} is not one of {', '.join(map(repr, error.validator_value))}"
    if error.validator == "pattern" and error.path and error.path[-1] == "name":
        return f"{key}: {error.instance!r} is not a valid name (letters, digits and _, starting with a letter)"
    return f"{key}: {error.message}"


def _most_relevant(errors: list[jsonschema.ValidationError]) -> jsonschema.ValidationError | None:
    """An unknown key first (a misspelt key also makes the intended one "missing"), else jsonschema's best match."""
    unknown = [e for e in errors if e.validator == "additionalProperties"]
    return unknown[0] if unknown else jsonschema.exceptions.best_match(errors)


def _fill_names(node):
    """The schema's `enum: names.X` entries, filled in from influential.names (where each is spelled once)."""
    if isinstance(node, dict):
        return {
            key: list(getattr(names, value[len("names.") :]))
            if key == "enum" and isinstance(value, str) and value.startswith("names.")
            else _fill_names(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_fill_names(item) for item in node]
    return node


def load_schema(path: str | Path) -> dict:
    return _fill_names(yaml.load(Path(path).read_text(), Loader=SafeLoader))


def load_yaml(path: str | Path) -> dict:
    """A YAML config file; a syntax error names the file, line and column in one line."""
    try:
        return yaml.safe_load(Path(path).read_text())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = " ".join(str(getattr(err, "problem", None) or err).split())
        context = getattr(err, "context", None)
        raise ConfigError(f"{where}: YAML syntax error: {problem}" + (f" ({context})" if context else "")) from err


def validate(config: Mapping, schema: Mapping) -> dict:
    """Return a validated copy of `config` with the schema's defaults filled in.

    Raises ConfigError with a single line "config: <dotted.key>: <problem>" for the most relevant error.
    """
    instance = _plain_copy(dict(config))
    validator_class = _with_defaults(jsonschema.validators.validator_for(schema))
    error = _most_relevant(list(validator_class(schema).iter_errors(instance)))
    if error is not None:
        raise ConfigError(f"config: {_describe(error)}")
    _check_semantics(instance)
    return instance


def _check_semantics(config: dict) -> None:
    """Rules that a JSON schema cannot state clearly."""
    experiments, mixtures, words = config["experiments"], config["mixtures"], config["word_embeddings"]
    if not experiments and not mixtures and not words:
        raise ConfigError(
            "config: experiments: none declared (declare at least one experiment, mixture or word_embeddings)"
        )
    for section, declared_here, other in (
        ("mixtures", mixtures, experiments),
        ("word_embeddings", words, experiments),
        ("word_embeddings", words, mixtures),
    ):
        both = sorted(set(declared_here) & set(other))
        if both:
            what = "an experiment" if other is experiments else "a mixture"
            raise ConfigError(f"config: {section}: {', '.join(map(repr, both))} is also {what} (one results/ folder)")
    declared = {*experiments, *mixtures, *words}
    unknown = [name for name in config.get("run", []) if name not in declared]
    if unknown:
        raise ConfigError(
            f"config: run: no experiment, mixture or word_embeddings named {', '.join(map(repr, unknown))}"
        )
    for name, mixture in mixtures.items():
        _check_mixture(mixture, f"config: mixtures.{name}")
    for name, settings in words.items():
        _check_word_embedding(settings, f"config: word_embeddings.{name}")
    for exp_name, exp in config["experiments"].items():
        where = f"config: experiments.{exp_name}"
        dataset = exp["dataset"]
        split = dataset["split"]
        if dataset["source"] in ("npz", "idx") and "path" not in dataset:
            raise ConfigError(f"{where}.dataset.path: required for source {dataset['source']!r}")
        if split["method"] == "koh":
            if dataset["source"] != "mnist":
                raise ConfigError(f"{where}.dataset.split.method: 'koh' needs source 'mnist'")
            sizes = sorted(k for k in ("n_train", "n_validation", "n_test") if k in split)
            if sizes:
                raise ConfigError(
                    f"{where}.dataset.split: method 'koh' fixes the sizes (5500/5000/10000); remove {', '.join(sizes)}"
                )
        _check_model(exp, where)
        loo, kind = exp["loo"], exp["model"]["kind"]
        adam = kind != names.LOGISTIC_REGRESSION  # the all-CNN and a user's Keras model
        if loo["method"] == "refit" and adam:
            raise ConfigError(f"{where}.loo.method: 'refit' is for logistic_regression; use warm_start for {kind}")
        if loo["sample"] is not None:
            if loo["method"] != "refit":
                raise ConfigError(f"{where}.loo.sample: samples the refits of method refit, not {loo['method']!r}")
            if loo["sample"] > _sizes(dataset)[0]:
                raise ConfigError(
                    f"{where}.loo.sample: {loo['sample']} refits, but the training split has {_sizes(dataset)[0]}"
                )
        if loo["method"] in names.RETRAINING:
            if not adam:
                raise ConfigError(f"{where}.loo.method: {loo['method']!r} is for Adam-trained models; use refit")
            if loo["estimator"] not in exp["influence"]["estimators"]:
                raise ConfigError(f"{where}.loo.estimator: {loo['estimator']!r} is not in influence.estimators")
            if loo["estimator"] == names.TRAK:
                raise ConfigError(f"{where}.loo.estimator: trak does not choose the points to retrain (use exact)")
            n_train = _sizes(dataset)[0]
            if loo["k"] > n_train:
                raise ConfigError(f"{where}.loo.k: {loo['k']} points to retrain, but the training split has {n_train}")
            if loo["batch_size"] > n_train:
                raise ConfigError(
                    f"{where}.loo.batch_size: {loo['batch_size']} is larger than the training split ({n_train})"
                )
        if adam and exp["training"]["batch_size"] > _sizes(dataset)[0]:
            raise ConfigError(
                f"{where}.training.batch_size: {exp['training']['batch_size']} is larger than the training split "
                f"({_sizes(dataset)[0]})"
            )
        arnoldi = exp["influence"]["arnoldi"]
        if names.ARNOLDI in exp["influence"]["estimators"] and arnoldi["krylov"] <= arnoldi["rank"]:
            raise ConfigError(
                f"{where}.influence.arnoldi.krylov: {arnoldi['krylov']} must exceed rank ({arnoldi['rank']})"
            )
        trajectory = sorted(set(exp["influence"]["estimators"]) & set(names.TRAJECTORY_ESTIMATORS))
        if trajectory and not adam:
            raise ConfigError(
                f"{where}.influence.estimators: {', '.join(trajectory)} need an Adam-trained model (all_cnn, keras)"
            )
        n_train = _sizes(dataset)[0]
        for fraction in contract.lds_fractions(exp):
            if not 0 < round(fraction * n_train) < n_train:
                raise ConfigError(
                    f"{where}.lds.fraction: {fraction} of {n_train} training points is {round(fraction * n_train)}; "
                    "a subset must hold some points and leave some out"
                )
        unknown = [name for name in contract.all_pairs(exp) if name not in exp["influence"]["estimators"]]
        if unknown:
            raise ConfigError(f"{where}.influence.all_pairs: {', '.join(map(repr, unknown))} is not in estimators")
        embedding = exp["embeddings"]
        if embedding["table_layer"] not in embedding["layers"]:
            raise ConfigError(
                f"{where}.embeddings.table_layer: {embedding['table_layer']!r} is not in embeddings.layers"
            )
        _check_test_points(exp["test_points"], dataset, where)
        _check_objectives(exp, where)
        _check_mislabel(exp, where)


def _check_mislabel(exp: dict, where: str) -> None:
    mislabel = exp["mislabel"]
    if not mislabel["enabled"]:
        return
    estimators = {r: names.ESTIMATOR_RANKERS[r][0] for r in mislabel["rankers"] if r in names.ESTIMATOR_RANKERS}
    missing = [r for r, e in estimators.items() if e not in exp["influence"]["estimators"]]
    if missing:
        needed = ", ".join(repr(estimators[r]) for r in missing)
        raise ConfigError(
            f"{where}.mislabel.rankers: {', '.join(map(repr, missing))} needs {needed} in influence.estimators"
        )
    hydras = [r for r, e in estimators.items() if e in (names.HYDRA, names.HYDRA_FREE)]
    if hydras and exp["influence"]["hydra"]["window"] == "retrain" and exp["loo"]["method"] not in names.RETRAINING:
        raise ConfigError(
            f"{where}.influence.hydra.window: {hydras[0]!r} walks the leave-one-out retraining window, which "
            f"loo.method {exp['loo']['method']!r} does not run (set window: full)"
        )
    validating = [r for r, (_, strategy) in names.ESTIMATOR_RANKERS.items() if strategy == names.VALIDATION]
    split = exp["dataset"]["split"]
    if (
        set(validating) & set(mislabel["rankers"])
        and mislabel["clean"] == "validation"
        and split.get("n_validation") == 0
    ):
        raise ConfigError(f"{where}.mislabel.clean: the validation split is empty (dataset.split.n_validation is 0)")


def _check_mixture(mixture: dict, where: str) -> None:
    data = mixture["data"]
    dimensions = sorted({len(mean) for mean in data["means"]})
    if len(dimensions) > 1:
        raise ConfigError(
            f"{where}.data.means: the means have different dimensions ({', '.join(map(str, dimensions))})"
        )
    n, shown = len(data["means"]) * data["n_per_class"], mixture["figures"]["test_point"]
    if shown is not None and shown >= n:
        raise ConfigError(f"{where}.figures.test_point: {shown} is outside the data (0..{n - 1})")


def _check_word_embedding(settings: dict, where: str) -> None:
    corpus, objectives, loo = settings["corpus"], settings["objectives"], settings["loo"]
    if corpus["source"] == "text" and "file" not in corpus:
        raise ConfigError(f"{where}.corpus.file: required for source 'text'")
    if corpus["source"] == "text" and corpus["genres"] is not None:
        raise ConfigError(f"{where}.corpus.genres: the Brown corpus' genres; a text file has none (remove it)")
    chosen = [objective["name"] for objective in objectives]
    duplicated = sorted({n for n in chosen if chosen.count(n) > 1})
    if duplicated:
        raise ConfigError(f"{where}.objectives: duplicated name {', '.join(map(repr, duplicated))}")
    influence = settings["influence"]
    walks_retraining = {names.HYDRA, names.HYDRA_FREE} & set(influence["estimators"])
    if walks_retraining and influence["hydra"]["window"] == "retrain" and loo["method"] == "none":
        raise ConfigError(
            f"{where}.influence.hydra.window: 'retrain' walks the leave-one-out retraining, which loo.method 'none' "
            "does not run (set window: full)"
        )
    if loo["method"] != "none" and loo["estimator"] not in influence["estimators"]:
        raise ConfigError(f"{where}.loo.estimator: {loo['estimator']!r} is not in influence.estimators")
    groups = settings["groups"]
    if groups["sizes"] and groups["estimator"] not in influence["estimators"]:
        raise ConfigError(f"{where}.groups.estimator: {groups['estimator']!r} is not in influence.estimators")
    unknown = [name for name in groups["objectives"] or [] if name not in chosen]
    if unknown:
        raise ConfigError(f"{where}.groups.objectives: {', '.join(map(repr, unknown))} is not an objective")
    if groups["sizes"] and not groups["seeds"] and not groups["warm_start"]:
        raise ConfigError(f"{where}.groups: sizes given but no seeds and no warm_start: nothing would retrain them")


def representations(model: dict) -> tuple[str, ...]:
    """The layers whose outputs a model offers, input side first, the logits last."""
    if model["kind"] == names.ALL_CNN:
        return names.LAYERS
    if model["kind"] == names.KERAS:
        return (*model["layers"], names.LOGITS)
    return (names.LOGITS,)


def _check_layer(model: dict, layer: str, key: str) -> None:
    known = representations(model)
    if layer not in known:
        raise ConfigError(f"{key}: {model['kind']} has no layer {layer!r} (its layers: {', '.join(known)})")


def _check_model(exp: dict, where: str) -> None:
    """A Keras model's file and function, found without running it (so before any job), and the layers the
    embedding analysis reads; `embeddings.layers` defaults to every representation of the model."""
    model = exp["model"]
    if model["kind"] == names.KERAS:
        if names.LOGITS in model["layers"]:
            raise ConfigError(f"{where}.model.layers: 'logits' is the model's output, always read; name inner layers")
        path = Path(model["file"])
        if not path.is_file():
            raise ConfigError(f"{where}.model.file: {model['file']} does not exist (a path relative to the run folder)")
        try:
            tree = ast.parse(path.read_text(), str(path))
        except SyntaxError as error:
            raise ConfigError(f"{where}.model.file: {model['file']} line {error.lineno}: {error.msg}") from error
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        if model["build"] not in defined:
            raise ConfigError(f"{where}.model.build: {model['file']} defines no function {model['build']!r}")
    layers = exp["influence"]["layers"]
    if layers and model["kind"] == names.LOGISTIC_REGRESSION:
        raise ConfigError(f"{where}.influence.layers: logistic_regression has one layer; remove influence.layers")
    with_parameters = (*names.CONV_LAYERS, names.LOGITS)
    unknown = [layer for layer in layers if model["kind"] == names.ALL_CNN and layer not in with_parameters]
    if unknown:
        raise ConfigError(
            f"{where}.influence.layers: {unknown[0]!r} is no all_cnn layer with parameters "
            f"(those are {', '.join(with_parameters)})"
        )
    embedding = exp["embeddings"]
    embedding.setdefault("layers", list(representations(model)))
    for layer in embedding["layers"]:
        _check_layer(model, layer, f"{where}.embeddings.layers")
    _check_layer(model, embedding["ann"]["layer"], f"{where}.embeddings.ann.layer")


def _check_objectives(exp: dict, where: str) -> None:
    """Test objectives that the model has, and a test point to choose the retrained points."""
    dataset, points = exp["dataset"], exp["test_points"]
    n_classes = _n_classes(dataset)
    for i, point in enumerate(points):
        key, objective = f"{where}.test_points.{i}.objective", point["objective"]
        if "class" in objective and n_classes is not None and objective["class"] >= n_classes:
            raise ConfigError(f"{key}.class: {objective['class']} is not a class of this dataset (0..{n_classes - 1})")
        _check_layer(exp["model"], objective["layer"], f"{key}.layer")
        if objective["kind"] == names.EMBEDDING_DISTANCE:
            size = _sizes(dataset)[objective["split"] == "test"]
            if objective["position"] >= size:
                raise ConfigError(
                    f"{key}.position: {objective['position']} is outside the {objective['split']} split (0..{size - 1})"
                )
    if exp["loo"]["method"] in names.RETRAINING and not any(map(chooses_retrained, points)):
        raise ConfigError(
            f"{where}.test_points: retraining (loo.method {exp['loo']['method']}) needs a test point that chooses the "
            "points to retrain (objective cross_entropy, or choose_retrained: true)"
        )


def chooses_retrained(point: dict) -> bool:
    """Whether a validated test point chooses points to retrain (its top loo.k): `choose_retrained`, by default
    only a test point whose objective is its loss; the others are measured on the models retrained for those."""
    return point.get("choose_retrained", point["objective"]["kind"] == names.CROSS_ENTROPY)


KOH_SIZES = (5500, 10000)  # training and test examples of Koh & Liang's split
SOURCE_CLASSES = {"synthetic": 2, "mnist": 10, "mnist_bundled": 10}
SOURCE_TEST_INDICES = {"mnist": 10000, "mnist_bundled": 10000}  # source indices the test split draws from


def _n_classes(dataset: dict) -> int | None:
    """How many classes the dataset will have, where the config alone says (None for a user's own files)."""
    classes = dataset.get("classes")
    return len(classes) if classes else SOURCE_CLASSES.get(dataset["source"])


def _sizes(dataset: dict) -> tuple[int, int]:
    """Training and test examples the split will have (the synthetic source adds its outlier to training)."""
    split = dataset["split"]
    if split["method"] == "koh":
        return KOH_SIZES
    return split["n_train"] + (dataset["source"] == "synthetic"), split["n_test"]


def _check_test_points(points: list[dict], dataset: dict, where: str) -> None:
    """What the config alone shows about the test points: unique names, classes and positions in range."""
    chosen = [point["name"] for point in points]
    duplicated = sorted({n for n in chosen if chosen.count(n) > 1})
    if duplicated:
        raise ConfigError(f"{where}.test_points: duplicated name {', '.join(map(repr, duplicated))}")
    classes, n_classes = dataset.get("classes"), _n_classes(dataset)
    n_test = _sizes(dataset)[1]
    source = (
        dataset["split"]["n_train"] + dataset["split"]["n_validation"] + n_test
        if dataset["source"] == "synthetic"
        else None
    )
    n_indices = SOURCE_TEST_INDICES.get(dataset["source"], source)
    for i, point in enumerate(points):
        key = f"{where}.test_points.{i}"
        if "label" in point and n_classes is not None and point["label"] >= n_classes:
            known = f"classes {classes} renumbered 0..{n_classes - 1}" if classes else f"labels 0..{n_classes - 1}"
            raise ConfigError(f"{key}.label: {point['label']} is not a class of this dataset ({known})")
        if point["select"] == "index" and point["index"] >= n_test:
            raise ConfigError(f"{key}.index: {point['index']} is outside the test split (0..{n_test - 1})")
        if point["select"] == "original_index" and n_indices is not None and point["index"] >= n_indices:
            raise ConfigError(
                f"{key}.index: source index {point['index']} is beyond the source's test examples (0..{n_indices - 1})"
            )
