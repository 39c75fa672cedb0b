"""The exact estimator's predicted loss change for every (test, training) pair of the test split."""

import time

from influential import estimators, io, models


def main(snakemake):
    with io.log_to(snakemake.log[0]) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        started = time.perf_counter()
        estimator = estimators.build(
            "exact",
            snakemake.params.influence,
            models.from_meta(meta),
            theta,
            dataset.train.x,
            dataset.train.y,
            train_gradients=io.load_arrays(snakemake.input.train_gradients)["gradients"],
            factorised=io.load_factorised(snakemake.input.hessian),
        )
        matrix = estimator.all_pairs(dataset.test.x, dataset.test.y)
        log.info(
            "all pairs: %s matrix in %.1f s (gradients and Hessian cached)", matrix.shape, time.perf_counter() - started
        )
        io.save_arrays(
            snakemake.output[0],
            pred_loss_change_if_removed=matrix,
            test_index=dataset.test.index,
            train_index=dataset.train.index,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
