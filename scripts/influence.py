"""Predicted loss change of one test point when each training point is left out, by one estimator."""

from influential import estimators, evaluation, io, models


def main(snakemake):
    with io.log_to(snakemake.log[0]) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        test, name = snakemake.wildcards.test, snakemake.wildcards.estimator
        position = int(io.read_table(snakemake.input.test_points).set_index("test").loc[test, "test_position"])
        estimator = estimators.build(
            name,
            snakemake.params.influence,
            models.from_meta(meta),
            theta,
            dataset.train.x,
            dataset.train.y,
            train_gradients=io.load_arrays(snakemake.input.train_gradients)["gradients"],
            factorised=io.load_factorised(snakemake.input.hessian) if name == "exact" else None,
        )
        change = estimator.loss_change_if_removed(dataset.test.x[[position]], dataset.test.y[[position]])[0]
        log.info("%s on %s: predicted loss changes from %.3g to %.3g", name, test, change.min(), change.max())
        io.write_table(evaluation.influence_table(dataset.train, name, test, change), snakemake.output.table)
        io.write_json({"test": test, **estimator.diagnostics[0]}, snakemake.output.diagnostics)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
