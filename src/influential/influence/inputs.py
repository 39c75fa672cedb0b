"""What an estimator's workflow job reads, by role: besides the data, the model and the test point's record, what
the estimator was given ready-made (names.ESTIMATOR_INPUTS: per-example gradients, the factorised Hessian, the
trajectory), read by its family's loaders (influence.functions.LOADERS, influence.registry.LOADERS: so that an
influence function's job does not reach the trajectory's code); and what it answers for each of a job's test
points."""

import logging
import time

from influential import models
from influential.core import io
from influential.core.names import ESTIMATOR_INPUTS, HESSIAN, PREDICTED, TRAIN_GRADIENTS, TRAJECTORY
from influential.influence.tables import table
from influential.testpoints import cross_loss
from influential.testpoints.objectives import Objective

log = logging.getLogger(__name__)

KEYWORDS = {TRAIN_GRADIENTS: "train_gradients", HESSIAN: "factorised", TRAJECTORY: "trajectory"}


def load(estimator: str, files, loaders: dict) -> dict:
    """The estimator's cached inputs, from `files` (a job's input by role) by `loaders` (by role), as `build` takes
    them."""
    return {KEYWORDS[role]: loaders[role](files[role]) for role in ESTIMATOR_INPUTS[estimator]}


def built(family, name: str, settings: dict, files) -> tuple:
    """The estimator `name`, built by `family` (influence.functions, or the registry for any estimator: its `build`
    and `LOADERS`) from `settings` and the job's input `files` by role (dataset, model and its cached inputs); with
    the dataset and the model."""
    dataset = io.load_dataset(files["dataset"])
    theta, meta = io.load_model(files["model"])
    model, theta = models.restricted_for(models.from_meta(meta), theta, settings)  # influence.layers
    cached = load(name, files, family.LOADERS)
    return family.build(name, settings, model, theta, dataset.train.x, dataset.train.y, **cached), dataset, model


def predict_test_points(family, name: str, settings: dict, files, test_points) -> list[tuple]:
    """The estimator `name`, built once (`built`), on each test point's objective (`test_points`: their records'
    files): per test point, the influence table and the solve's diagnostics."""
    estimator, dataset, model = built(family, name, settings, files)
    points = [io.read_json(path) for path in test_points]
    bound = [cross_loss.bind(Objective.from_config(point["objective"]), model, dataset) for point in points]
    examples = [(dataset.test.x[[p["test_position"]]], dataset.test.y[[p["test_position"]]]) for p in points]
    changes = estimator.change_for_objectives(bound, examples)  # together: one solve, pass or sweep where it can
    results = []
    for point, change, facts in zip(points, changes, estimator.diagnostics, strict=True):
        log.info(
            "%s on %s: predicted changes of its %s from %.3g to %.3g",
            *(name, point["test"], point["objective_label"], change.min(), change.max()),
        )
        results.append((table(dataset.train, name, point["test"], change), {"test": point["test"], **facts}))
    return results


def write_predictions(family, params, files, output) -> None:
    """A workflow job's whole work: its estimator (`params.estimator`, `params.settings`) on each of its test points
    (`files.test_points`), each table and diagnostics written to the matching `output.tables` and
    `output.diagnostics`."""
    predictions = predict_test_points(family, params.estimator, params.settings, files, files.test_points)
    for (change_table, diagnostics), table_file, diagnostics_file in zip(
        predictions, output.tables, output.diagnostics, strict=True
    ):
        io.write_table(change_table, table_file)
        io.write_json(diagnostics, diagnostics_file)


def write_all_pairs(family, params, files, output: str) -> None:
    """A workflow job's whole work: the estimator `params.estimator` (`params.settings`) for every (test, training)
    pair of the test split's losses, written to `output` as one float32 matrix with both index vectors."""
    estimator, dataset, _ = built(family, params.estimator, params.settings, files)
    started = time.perf_counter()
    matrix = estimator.all_pairs(dataset.test.x, dataset.test.y)
    log.info("%s, all pairs: %s matrix in %.1f s", params.estimator, matrix.shape, time.perf_counter() - started)
    io.save_arrays(output, **{PREDICTED: matrix}, test_index=dataset.test.index, train_index=dataset.train.index)
