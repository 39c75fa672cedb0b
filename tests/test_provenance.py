"""Which library code a job runs (provenance) and what every job does around its work (job.run)."""

import json
import logging
import shutil
import subprocess
import sys
from types import SimpleNamespace

import pytest

from influential.core import errors, job, provenance

from .conftest import REPO

SCRIPTS = REPO / "scripts"


def test_imports_are_read_in_every_form():
    source = """
import os
import influential.loo.plan
from influential.core import io, job
from influential.core.names import ACTUAL


def later():
    from influential.loo import retrain
"""
    assert provenance.imported_modules(source) == {
        "influential",
        "influential.core",
        "influential.core.io",
        "influential.core.job",
        "influential.core.names",
        "influential.core.names.ACTUAL",  # not a module: closure() drops it
        "influential.loo",
        "influential.loo.plan",
        "influential.loo.retrain",
    }


def imported_by(script: str) -> tuple[list[str], bool]:
    """What really happens when a job's script is loaded: the library modules in sys.modules afterwards, and
    whether TensorFlow came with them (a fresh interpreter, the script executed as Snakemake would, minus main)."""
    probe = f"""
import json, runpy, sys
sys.path.insert(0, {str(REPO / "src")!r})
runpy.run_path({str(SCRIPTS / script)!r})
print(json.dumps([sorted(m for m in sys.modules if m.split(".")[0] == "influential"), "tensorflow" in sys.modules]))
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    ("script", "uses_tensorflow"),
    [("loo_gather.py", False), ("plot_embeddings.py", False), ("test_point.py", False), ("loo_chunk.py", True)],
)
def test_static_closure_holds_what_a_job_imports(script, uses_tensorflow):
    """The closure also holds what a job imports only when it needs it (a model's module, inside a function)."""
    modules, tensorflow = imported_by(script)
    closure = provenance.closure(SCRIPTS / script)
    assert set(modules) <= set(closure)
    lazy = {"influential.models.all_cnn", "influential.models.logistic"}
    lazy |= {m for module in lazy for m in provenance.closure(provenance.module_file(module))}
    assert set(closure) - set(modules) <= lazy
    assert tensorflow == uses_tensorflow


def closure(script: str) -> set[str]:
    return set(provenance.closure(SCRIPTS / f"{script}.py"))


def uses_tensorflow(module: str) -> bool:
    return "import tensorflow" in provenance.module_file(module).read_text()


def test_each_jobs_code_holds_only_what_it_runs():
    """Editing a module reruns exactly the jobs whose code holds it (the rule's `code` digest), so no job holds what
    it does not run."""
    choosing = {"influential.testpoints.selection", "influential.testpoints.objectives"}
    for script in ("train", "loo_chunk", "loo_refit", "derivatives"):
        assert not closure(script) & (choosing | {"influential.testpoints.cross_loss"}), script
        assert not {m for m in closure(script) if m.startswith("influential.figures")}, script
    trajectory = {"influential.influence.hydra", "influential.influence.tracin", "influential.training.adam",
                  "influential.training.replay", "influential.training.trajectory", "influential.training.optimizer",
                  "influential.loo.retrain"}  # fmt: skip
    assert not closure("influence") & trajectory
    assert "influential.influence.hydra" in closure("trajectory_influence")
    assert not closure("mixture_data") & {
        "influential.data.sources",
        "influential.data.readers",
        "influential.data.label_noise",
    }
    assert not {m for m in closure("train") if "mixture" in m}
    for script in [*SCRIPTS.glob("plot_*.py"), SCRIPTS / "mixture_data.py"]:
        assert not any(uses_tensorflow(m) for m in closure(script.stem)), script.name


def test_the_digest_follows_exactly_the_modules_a_script_reaches(tmp_path):
    copy = tmp_path / "influential"
    shutil.copytree(provenance.LIBRARY, copy, ignore=shutil.ignore_patterns("__pycache__"))
    gather = provenance.code(SCRIPTS / "loo_gather.py")
    chunk = provenance.code(SCRIPTS / "loo_chunk.py")
    assert "influential.loo.retrain" in chunk["modules"] and "influential.loo.retrain" not in gather["modules"]
    assert provenance.digest(gather["modules"], copy) == gather["digest"]  # same code, another place

    retrain = copy / "loo" / "retrain.py"
    retrain.write_text(retrain.read_text() + "\n# an edit\n")
    assert provenance.digest(gather["modules"], copy) == gather["digest"]
    assert provenance.digest(chunk["modules"], copy) != chunk["digest"]
    (copy / "core" / "names.py").unlink()  # a module both reach, gone
    assert provenance.digest(gather["modules"], copy) != gather["digest"]


@pytest.fixture(autouse=True)
def without_tensorflow(monkeypatch):
    """This process has run TensorFlow already, so its threads are fixed; test_threads_reach_tensorflow_and_blas
    checks them in a fresh one."""
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)


def fake_snakemake(tmp_path, code=None):
    code = code or provenance.code(SCRIPTS / "evaluate.py")
    return SimpleNamespace(log=[str(tmp_path / "logs" / "job.log")], threads=1, params=SimpleNamespace(code=code))


def test_a_job_logs_its_threads_and_the_code_it_runs(tmp_path):
    snakemake = fake_snakemake(tmp_path)
    with job.run(snakemake) as log:
        log.info("working")
    text = (tmp_path / "logs" / "job.log").read_text()
    code = snakemake.params.code
    assert f"influential 0.1.0 from {provenance.LIBRARY}, code {code['digest']}: {' '.join(code['modules'])}" in text
    assert "threads: 1 (BLAS" in text and "working" in text


def test_a_job_refuses_library_code_other_than_the_workflows(tmp_path, capsys):
    code = {**provenance.code(SCRIPTS / "evaluate.py"), "digest": "0" * 16}
    with pytest.raises(SystemExit) as stop, job.run(fake_snakemake(tmp_path, code)):
        pytest.fail("the job body must not run")
    assert stop.value.code == 1
    message = capsys.readouterr().err.strip()
    assert message.startswith(f"this job imported the influential library from {provenance.LIBRARY}, whose code (")
    assert "is not the workflow's own (0000000000000000)" in message and "\n" not in message


def test_an_input_problem_ends_the_job_in_one_line_and_a_bug_with_its_traceback(tmp_path, capsys):
    with pytest.raises(SystemExit), job.run(fake_snakemake(tmp_path)):
        raise errors.InputError("data.npz: labels must be whole numbers")
    assert capsys.readouterr().err == "data.npz: labels must be whole numbers\n"
    log = (tmp_path / "logs" / "job.log").read_text()
    assert "stopped: data.npz: labels must be whole numbers" in log and "Traceback" not in log
    with pytest.raises(ZeroDivisionError), job.run(fake_snakemake(tmp_path)):
        _ = 1 / 0
    log = (tmp_path / "logs" / "job.log").read_text()
    assert "failed" in log and "Traceback" in log and "ZeroDivisionError" in log
    files = [getattr(h, "baseFilename", "") for h in logging.getLogger().handlers]
    assert str(tmp_path / "logs" / "job.log") not in files  # the job's handler is detached


def test_threads_reach_tensorflow_and_blas():
    probe = f"""
import sys
sys.path.insert(0, {str(REPO / "src")!r})
import numpy, tensorflow as tf
from threadpoolctl import threadpool_info
from influential.core import job
job.use_threads(1)
print(tf.config.threading.get_intra_op_parallelism_threads(), tf.config.threading.get_inter_op_parallelism_threads(),
      sorted({{pool["num_threads"] for pool in threadpool_info()}}))
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split("\n")[-2] == "1 1 [1]"
