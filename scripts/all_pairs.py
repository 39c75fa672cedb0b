"""The exact estimator's predicted loss change for every (test, training) pair of the test split."""

import time

from influential import models
from influential.core import io, job
from influential.core.names import PREDICTED
from influential.derivatives.hessian import FactorisedHessian
from influential.influence.functions import ExactInfluence


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        started = time.perf_counter()
        estimator = ExactInfluence(
            models.from_meta(meta),
            theta,
            dataset.train.x,
            dataset.train.y,
            factorised=FactorisedHessian.load(snakemake.input.hessian),
            train_gradients=io.load_arrays(snakemake.input.train_gradients)["gradients"],
            batch_size=snakemake.params.batch_size,
        )
        matrix = estimator.all_pairs(dataset.test.x, dataset.test.y)
        log.info(
            "all pairs: %s matrix in %.1f s (gradients and Hessian cached)", matrix.shape, time.perf_counter() - started
        )
        io.save_arrays(
            snakemake.output[0],
            **{PREDICTED: matrix},
            test_index=dataset.test.index,
            train_index=dataset.train.index,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
