"""The install instructions agree with each other: pyproject, conda envs, README and CI."""

import re
import subprocess
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement

from .conftest import REPO

DRIVER_ONLY = {"snakemake", "snakemake-executor-plugin-slurm"}  # run Snakemake itself, not inside jobs


def pyproject():
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def runtime_requirements() -> dict[str, Requirement]:
    return {r.name: r for r in map(Requirement, pyproject()["dependencies"])}


def conda_requirements(path) -> dict[str, Requirement]:
    found = {}
    for entry in yaml.safe_load(path.read_text())["dependencies"]:
        for spec in entry["pip"] if isinstance(entry, dict) else [entry]:
            requirement = Requirement(spec)
            found[requirement.name] = requirement
    return found


ENV_FILES = sorted((REPO / "envs").glob("*.yaml"))


@pytest.mark.parametrize("env_file", ENV_FILES, ids=lambda p: p.name)
def test_conda_env_versions_agree_with_pyproject(env_file):
    runtime = runtime_requirements()
    for name, requirement in conda_requirements(env_file).items():
        if name in ("python", "pip"):
            continue
        assert name in runtime, f"{env_file.name} lists {name}, which pyproject.toml does not"
        assert requirement.specifier == runtime[name].specifier, f"{env_file.name}: {requirement} vs {runtime[name]}"


def test_every_runtime_dependency_is_in_some_conda_env():
    in_envs = set().union(*(conda_requirements(p) for p in ENV_FILES))
    missing = set(runtime_requirements()) - DRIVER_ONLY - in_envs
    assert not missing


def test_conda_python_matches_requires_python():
    for env_file in ENV_FILES:
        assert str(conda_requirements(env_file)["python"].specifier) == pyproject()["requires-python"]


def test_gpu_and_test_extras():
    extras = pyproject()["optional-dependencies"]
    assert any(Requirement(r).name == "tensorflow" and "and-cuda" in Requirement(r).extras for r in extras["gpu"])
    assert {Requirement(r).name for r in extras["test"]} >= {"pytest", "ruff", "snakefmt"}


def readme_block(marker: str) -> str:
    text = (REPO / "README.md").read_text()
    match = re.search(rf"<!-- {marker}-command -->\n```bash\n(.+?)\n```", text, re.S)
    assert match, f"README.md has no {marker} command block"
    return match.group(1)


@pytest.mark.parametrize("marker", ["main", "test"])
def test_ci_reads_the_readme_commands_verbatim(marker):
    printed = subprocess.run([REPO / ".ci" / "readme-command", marker], capture_output=True, text=True, check=True)
    assert printed.stdout.strip() == readme_block(marker)
    assert "python3 -m venv .venv" in printed.stdout  # each command sets up from nothing


def test_ci_runs_the_test_command():
    script = (REPO / ".ci" / "run").read_text()
    assert "test_command=$(.ci/readme-command test)" in script and 'eval "$test_command"' in script
