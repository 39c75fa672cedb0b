"""Predicted loss change of one test point when each training point is left out, by one estimator."""

from influential import estimators, evaluation, io, models


def main(snakemake):
    with io.log_to(snakemake.log[0]) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        test = snakemake.wildcards.test
        position = int(io.read_table(snakemake.input.test_points).set_index("test").loc[test, "test_position"])
        factorised = io.load_factorised(snakemake.input.hessian)
        estimator = estimators.ESTIMATORS[snakemake.wildcards.estimator](
            models.from_meta(meta),
            theta,
            dataset.train.x,
            dataset.train.y,
            factorised.damping,
            train_gradients=io.load_arrays(snakemake.input.train_gradients)["gradients"],
            factorised=factorised,
        )
        change = estimator.loss_change_if_removed(dataset.test.x[[position]], dataset.test.y[[position]])[0]
        log.info(
            "%s on %s: predicted loss changes from %.3g to %.3g",
            estimator.name,
            test,
            change.min(),
            change.max(),
        )
        table = evaluation.influence_table(dataset.train, estimator.name, test, change)
        io.write_table(table, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
