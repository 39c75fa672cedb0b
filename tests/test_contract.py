"""The settings each job is given, built by the library from the validated config."""

import copy

import pytest
import yaml

from influential.core import config as cfg
from influential.core import contract

from .conftest import REPO


@pytest.fixture
def validated_cnn(schema):
    """The default run's all-CNN experiment, validated (defaults filled in)."""
    return cfg.validate(yaml.safe_load((REPO / "config.yaml").read_text()), schema)["experiments"]["mnist_cnn"]


def test_an_estimator_gets_only_what_it_uses(validated_cnn):
    exp = validated_cnn
    assert contract.estimator(exp, "exact") == {"batch_size": 500, "damping": exp["influence"]["damping"]}
    assert contract.estimator(exp, "cg") == {
        "batch_size": 500, "damping": exp["influence"]["damping"], "cg": exp["influence"]["cg"]
    }  # fmt: skip
    assert contract.estimator(exp, "tracin") == {"batch_size": 500, "tracin": exp["influence"]["tracin"]}
    hydra = contract.estimator(exp, "hydra")
    assert hydra["retrain"] == {k: exp["loo"][k] for k in ("method", "steps", "batch_size", "seed", "learning_rate")}
    assert hydra["schedule"] is exp["training"] and "damping" not in hydra
    changed = copy.deepcopy(exp)
    changed["influence"]["lissa"]["depth"] += 1
    changed["loo"]["k"] += 2  # decides which models exist, not what they are
    for name in ("exact", "cg", "tracin", "hydra", "hydra_free"):
        assert contract.estimator(changed, name) == contract.estimator(exp, name), name
    assert contract.estimator(changed, "lissa") != contract.estimator(exp, "lissa")


def test_hydra_over_the_whole_run_needs_no_retraining_settings(validated_cnn):
    exp = copy.deepcopy(validated_cnn)
    exp["influence"]["hydra"]["window"] = "full"
    assert set(contract.estimator(exp, "hydra")) == {"batch_size", "hydra"}
