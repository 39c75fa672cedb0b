"""What the code imports is what the install instructions provide: pyproject, each rule's conda env, README and CI."""

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from functools import cache

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from influential.core import provenance

from .conftest import REPO

DRIVER_ONLY = {"snakemake", "snakemake-executor-plugin-slurm", "jsonschema", "pyyaml"}  # Snakemake's side, not jobs'
# What pandas reaches for without an import statement in our code.
IMPLICIT = {"read_parquet": "pyarrow", "to_parquet": "pyarrow", "to_markdown": "tabulate"}


def pyproject():
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def requirements(entries) -> dict[str, Requirement]:
    return {canonicalize_name(r.name): r for r in map(Requirement, entries)}


def conda_requirements(path) -> dict[str, Requirement]:
    entries = []
    for entry in yaml.safe_load(path.read_text())["dependencies"]:
        entries += entry["pip"] if isinstance(entry, dict) else [entry]
    return requirements(entries)


@cache
def distribution_of(module: str) -> str:
    """The installed distribution that provides a top-level import (for a shared namespace such as `google`, the one
    that holds the imported subpackage)."""
    top = module.split(".")[0]
    candidates = importlib.metadata.packages_distributions()[top]
    if len(candidates) > 1:
        folder = "/".join(module.split(".")[:2]) + "/"
        candidates = [
            d for d in candidates if any(str(f).startswith(folder) for f in importlib.metadata.files(d) or [])
        ]
    (name,) = set(map(canonicalize_name, candidates))
    return name


def third_party(path) -> set[str]:
    """Distributions a source file needs: its imports outside the standard library and this package, and what
    pandas needs for what the file asks of it."""
    source = path.read_text()
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.add(node.module)
    modules = {m for m in modules if m.split(".")[0] not in sys.stdlib_module_names | {"influential", "tests"}}
    return {distribution_of(m) for m in modules} | {d for call, d in IMPLICIT.items() if f".{call}(" in source}


def rule_blocks() -> dict[str, str]:
    blocks = {}
    for path in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for block in re.split(r"\n(?=(?:rule|checkpoint) )", path.read_text()):
            head = re.match(r"(?:rule|checkpoint) (\w+):", block)
            if head:
                blocks[head.group(1)] = block
    return blocks


RULES = rule_blocks()


def directive(block: str, name: str) -> str | None:
    found = re.search(rf"\n    {name}:\n        \"\.\./\.\./\w+/(\w+)\.\w+\"", block)
    return found and found.group(1)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_has_a_script_its_code_digest_threads_log_benchmark_and_env(rule):
    block = RULES[rule]
    script = directive(block, "script")
    assert script and (REPO / "scripts" / f"{script}.py").is_file()
    assert f'code=library_code("{script}")' in block  # the digest of this rule's own script's modules
    assert re.search(r"\n    threads: \d+\n", block)
    assert "\n    log:\n" in block and "\n    benchmark:\n" in block
    assert (REPO / "envs" / f"{directive(block, 'conda')}.yaml").is_file()


def test_rules_defined_per_experiment_have_what_every_rule_has():
    """The rules a loop defines (one per experiment: `rule:` with a `name:`) are checked as the others, their
    script through the rule of the same script and env that runs it per test point."""
    loops = [
        block
        for path in sorted((REPO / "workflow" / "rules").glob("*.smk"))
        for block in re.split(r"\n(?=\S)", path.read_text())
        if block.startswith("for ")
    ]
    assert len(loops) == 3
    for block in loops:
        assert re.search(r"\n    rule:\n        name:\n            f\"", block)
        path = r"\n        script:\n(?:            #.*\n)?            \"\.\./\.\./scripts/([{.}\w]+)\.py\""
        script = re.search(path, block)
        if script.group(1) == "{params.script}":  # bound when the rule is defined, not when the job runs
            variable = re.search(r"\n            script=(\w+),", block).group(1)
            assert f"code=library_code({variable})" in block
        else:
            assert f'code=library_code("{script.group(1)}")' in block
        assert "\n        threads: 1\n" in block and "\n        log:\n" in block and "\n        benchmark:\n" in block
        assert '\n        conda:\n            "../../envs/tensorflow.yaml"' in block


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rules_env_holds_what_its_script_imports(rule):
    block = RULES[rule]
    script = REPO / "scripts" / f"{directive(block, 'script')}.py"
    files = [script, *(provenance.module_file(m) for m in provenance.closure(script))]
    needed = set().union(*map(third_party, files))
    env = REPO / "envs" / f"{directive(block, 'conda')}.yaml"
    missing = needed - set(conda_requirements(env))
    assert not missing, f"{rule} imports {sorted(missing)}, which {env.name} does not provide"


def test_jobs_that_need_no_gradients_run_without_tensorflow():
    light = [rule for rule, block in RULES.items() if directive(block, "conda") == "analysis"]
    assert "tensorflow" not in conda_requirements(REPO / "envs" / "analysis.yaml")
    assert {
        "plot_embeddings",
        "loo_select",
        "loo_gather",
        "test_point",
        "evaluate",
        "projector",
        "mixture_data",
    } <= set(light)


def source_files(*folders):
    return [path for folder in folders for path in sorted((REPO / folder).rglob("*.py"))]


def test_every_imported_package_is_a_declared_dependency():
    runtime = set(requirements(pyproject()["dependencies"]))
    test_extra = set(requirements(pyproject()["optional-dependencies"]["test"]))
    for path in source_files("src", "scripts", "bench", "resources"):
        assert third_party(path) <= runtime, f"{path.relative_to(REPO)}: {sorted(third_party(path) - runtime)}"
    for path in source_files("tests"):
        undeclared = third_party(path) - runtime - test_extra
        assert not undeclared, f"{path.relative_to(REPO)}: {sorted(undeclared)}"


ENV_FILES = sorted((REPO / "envs").glob("*.yaml"))


@pytest.mark.parametrize("env_file", ENV_FILES, ids=lambda p: p.name)
def test_conda_env_versions_agree_with_pyproject(env_file):
    runtime = requirements(pyproject()["dependencies"])
    for name, requirement in conda_requirements(env_file).items():
        if name in ("python", "pip"):
            continue
        assert name in runtime, f"{env_file.name} lists {name}, which pyproject.toml does not"
        assert requirement.specifier == runtime[name].specifier, f"{env_file.name}: {requirement} vs {runtime[name]}"
    assert str(conda_requirements(env_file)["python"].specifier) == pyproject()["requires-python"]


def test_every_runtime_dependency_is_in_some_conda_env():
    in_envs = set().union(*(conda_requirements(p) for p in ENV_FILES))
    assert not set(requirements(pyproject()["dependencies"])) - DRIVER_ONLY - in_envs


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
    assert printed.stdout.startswith("python3 -m venv .venv")  # each command sets up from nothing


def test_ci_runs_the_readmes_test_command(tmp_path):
    """.ci/run on a checkout whose README's test command leaves a mark: the mark appears."""
    (tmp_path / ".ci").mkdir()
    for name in ("run", "readme-command"):
        (tmp_path / ".ci" / name).write_bytes((REPO / ".ci" / name).read_bytes())
        (tmp_path / ".ci" / name).chmod(0o755)
    (tmp_path / "README.md").write_text(
        "# x\n\n<!-- test-command -->\n```bash\necho ran > mark && echo $PWD >> mark\n```\n"
    )
    result = subprocess.run(["bash", tmp_path / ".ci" / "run"], capture_output=True, text=True, cwd="/")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mark").read_text() == f"ran\n{tmp_path}\n"
    assert "CI: running the README's test command: echo ran > mark" in result.stdout
