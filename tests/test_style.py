"""The code stays clean: ruff, snakefmt and Snakemake's own linter report nothing."""

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

BIN = Path(sys.executable).parent


def run(*command):
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True)


def test_ruff_lint_and_format():
    lint = run(BIN / "ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout
    formatting = run(BIN / "ruff", "format", "--check", ".")
    assert formatting.returncode == 0, formatting.stdout


def test_snakefmt():
    result = run(BIN / "snakefmt", "--check", "Snakefile", "workflow")
    assert result.returncode == 0, result.stderr


@pytest.mark.workflow  # loads the workflow
def test_snakemake_lint():
    result = run(BIN / "snakemake", "--lint")
    assert result.returncode == 0, result.stdout + result.stderr
