"""Validation of the workflow configuration against its JSON schema, with defaults and one-line errors."""

from collections.abc import Mapping
from pathlib import Path

import jsonschema
import yaml


class ConfigError(ValueError):
    """A configuration problem, described in one line that names the offending key."""


def _with_defaults(validator_class):
    """A validator class that fills in each property's `default` before validating it (jsonschema FAQ)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if isinstance(subschema, dict) and "default" in subschema:
                    instance.setdefault(name, _copy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def _copy(value):
    return yaml.safe_load(yaml.safe_dump(value))


def _describe(error: jsonschema.ValidationError) -> str:
    key = ".".join(str(part) for part in error.absolute_path) or "<top level>"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unexpected = sorted(set(error.instance) - set(allowed))
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"{key}: unknown key {', '.join(repr(u) for u in unexpected)}{hint}"
    if error.validator == "enum":
        return f"{key}: {error.instance!r} is not one of {', '.join(map(repr, error.validator_value))}"
    if error.validator == "pattern" and error.path and error.path[-1] == "name":
        return f"{key}: {error.instance!r} is not a valid name (letters, digits and _, starting with a letter)"
    return f"{key}: {error.message}"


def load_schema(path: str | Path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def validate(config: Mapping, schema: Mapping) -> dict:
    """Return a validated copy of `config` with the schema's defaults filled in.

    Raises ConfigError with a single line "config: <dotted.key>: <problem>" for the most relevant error.
    """
    instance = _copy(dict(config))
    validator_class = _with_defaults(jsonschema.validators.validator_for(schema))
    error = jsonschema.exceptions.best_match(validator_class(schema).iter_errors(instance))
    if error is not None:
        raise ConfigError(f"config: {_describe(error)}")
    _check_semantics(instance)
    return instance


def _check_semantics(config: dict) -> None:
    """Rules that a JSON schema cannot state clearly."""
    unknown = [name for name in config.get("run", []) if name not in config["experiments"]]
    if unknown:
        raise ConfigError(f"config: run: no experiment named {', '.join(map(repr, unknown))}")
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
        if exp["model"]["kind"] == "logistic_regression":
            classes = dataset.get("classes")
            if dataset["source"] != "synthetic" and (classes is None or len(classes) != 2):
                raise ConfigError(
                    f"{where}.dataset.classes: logistic_regression is binary; choose two classes, e.g. [1, 7]"
                )
        loo, kind = exp["loo"], exp["model"]["kind"]
        if loo["method"] == "refit" and kind != "logistic_regression":
            raise ConfigError(f"{where}.loo.method: 'refit' is for logistic_regression; use warm_start for all_cnn")
        if loo["method"] in ("warm_start", "reset"):
            if kind != "all_cnn":
                raise ConfigError(f"{where}.loo.method: {loo['method']!r} is for all_cnn; use refit")
            if loo["estimator"] not in exp["influence"]["estimators"]:
                raise ConfigError(f"{where}.loo.estimator: {loo['estimator']!r} is not in influence.estimators")
        embedding = exp["embeddings"]
        if embedding["table_layer"] not in embedding["layers"]:
            raise ConfigError(
                f"{where}.embeddings.table_layer: {embedding['table_layer']!r} is not in embeddings.layers"
            )
        names = [tp["name"] for tp in exp["test_points"]]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ConfigError(f"{where}.test_points: duplicated name {', '.join(map(repr, duplicated))}")
