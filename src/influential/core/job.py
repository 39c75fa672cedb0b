"""What every workflow job does around its work; a script's `main` starts with `with job.run(snakemake) as log:`.

- Progress messages (and any error) go to the job's log file.
- The job uses the threads its rule declares: Snakemake runs it with that many cores reserved, so TensorFlow's
  thread pools and BLAS get exactly that many (TensorFlow otherwise takes every core of the machine); TensorFlow's
  ops are deterministic. Library calls set neither.
- It checks that the library it imported is the code the workflow planned it with (the rule's `code` parameter,
  see provenance) and says in the log which code ran.
- A problem with the input (errors.InputError) ends the job with one line on stderr and in the log; anything else
  (a bug) with its traceback.
"""

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from threadpoolctl import threadpool_limits

import influential
from influential.core import provenance
from influential.core.errors import InputError

log = logging.getLogger("influential")


@contextlib.contextmanager
def run(snakemake) -> Iterator[logging.Logger]:
    path = Path(snakemake.log[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        use_threads(snakemake.threads)
        check_library(snakemake.params.code)
        yield log
        log.info("done (TensorFlow %s)", "loaded" if "tensorflow" in sys.modules else "not loaded")
    except InputError as err:
        log.error("stopped: %s", err)
        print(err, file=sys.stderr)
        raise SystemExit(1) from None
    except Exception:
        log.exception("failed")
        raise
    finally:
        root.removeHandler(handler)
        handler.close()


def use_threads(threads: int) -> None:
    """Limit BLAS and OpenMP (numpy, scipy, scikit-learn) and TensorFlow to `threads`, and make TensorFlow's ops
    deterministic (the same inputs give the same weights, run after run). TensorFlow is configured through its
    environment when it is not loaded yet (a job loads it only when its model needs it), through its API when it
    is; either way before it executes its first operation."""
    threadpool_limits(threads)
    os.environ.update(
        TF_NUM_INTRAOP_THREADS=str(threads), TF_NUM_INTEROP_THREADS=str(threads), TF_DETERMINISTIC_OPS="1"
    )
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        tf.config.experimental.enable_op_determinism()
    log.info(
        "threads: %d (BLAS and TensorFlow intra- and inter-op; TensorFlow %s)",
        threads,
        "loaded" if tf else "not loaded yet",
    )


def check_library(code: dict) -> None:
    """Stop unless the imported library is the code the workflow planned this job with."""
    here = Path(influential.__file__).resolve().parent
    found = provenance.digest(code["modules"], here)
    if found != code["digest"]:
        raise InputError(
            f"this job imported the influential library from {here}, whose code ({found}) is not the workflow's own "
            f"({code['digest']}): another installed copy came first on the path, or the code changed during the "
            "run; rerun snakemake from the workflow's own checkout"
        )
    log.info("influential %s from %s, code %s: %s", influential.__version__, here, found, " ".join(code["modules"]))
