"""Leave-one-out ground truth: the all-CNN's vectorised retraining engine, the logistic refits, selection, chunk
planning and gathering."""

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from influential.core import io
from influential.core.names import ACTUAL, PREDICTED, RAW
from influential.data.splits import Split
from influential.loo import gather, parameter_change, plan, refit, retrain
from influential.models.all_cnn import AllCNN
from influential.models.logistic import BinaryLogisticRegression
from influential.training import adam, optimizer
from influential.training import fit as training


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(0)
    model = AllCNN(side=28, channels=1, n_classes=10, weight_decay=0.001)
    x = rng.random((24, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, 24)
    train, test = Split(x[:20], y[:20], np.arange(20)), Split(x[20:], y[20:], np.arange(20, 24))
    schedule = optimizer.AdamSettings(steps=10, batch_size=8, learning_rate=1e-3, schedule=((12, 0.1),))
    theta = model.initial_params(0)
    theta, state, *_ = training.fit_adam(
        model, _dataset(train, test), schedule, theta, optimizer.AdamState.zeros_like(theta)
    )
    return model, theta, state, schedule, train, test


def _dataset(train, test):
    from influential.data.splits import Dataset

    return Dataset(train, test, test, meta={"n_classes": 10, "marked": {}})


def one_at_a_time(model, theta, state, schedule, train, left_out, settings):
    """Reference: a single network through model.loss, the left-out point masked, the same minibatches."""
    t, m, v = tf.constant(theta), tf.constant(state.m), tf.constant(state.v)
    batches = adam.minibatches(len(train), settings.batch_size, settings.seed)
    for done in range(state.step, state.step + settings.steps):
        batch = next(batches)
        keep = tf.constant((batch != left_out).astype(np.float32))
        with tf.GradientTape() as tape:
            tape.watch(t)
            losses = model.loss(t, train.x[batch], train.y[batch])
            objective = tf.reduce_sum(keep * losses) / tf.reduce_sum(keep) + model.regularizer(t)
        t, m, v = adam.adam_update(t, m, v, done, tape.gradient(objective, t), schedule.learning_rate_at(done))
    return t.numpy()


@pytest.mark.parametrize(
    ("fused", "examples_per_call"),
    [(False, 2000), (True, 2000), (False, 16)],
    ids=["side_by_side", "fused", "two_calls_per_step"],
)
def test_vectorised_retraining_equals_one_model_at_a_time(setup, fused, examples_per_call, monkeypatch):
    model, theta, state, schedule, train, test = setup
    monkeypatch.setattr(adam, "CPU_EXAMPLES_PER_CALL", examples_per_call)  # 16 / batch 8: models [2, 7], [control]
    settings = retrain.RetrainSettings("warm_start", steps=6, batch_size=8, seed=3)
    stacked = model.stacked_logits
    monkeypatch.setattr(type(model), "stacked_logits", lambda self, t, x: stacked(t, x, fused=fused))
    left_out = np.array([2, 7, retrain.CONTROL])
    result = retrain.retrain(model, theta, state, schedule, train, test, left_out, settings)
    for k, position in enumerate(left_out):
        expected = one_at_a_time(model, theta, state, schedule, train, position, settings)
        np.testing.assert_allclose(result["thetas"][k], expected, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(result["test_losses"][k], model.losses(expected, test.x, test.y), rtol=1e-4)
    assert not np.allclose(result["thetas"][0], result["thetas"][2])  # removing a point changes the model


def test_chunk_table_pairs_each_model_with_the_control(setup):
    model, theta, state, schedule, train, test = setup
    settings = retrain.RetrainSettings("warm_start", steps=4, batch_size=8, seed=0)
    table = retrain.retrain_chunk(model, theta, state, schedule, train, test, np.array([5, 9]), settings)
    assert table["model"].tolist() == ["left_out", "left_out", "control", "checkpoint"]
    assert table["train_position"].tolist() == [5, 9, retrain.CONTROL, retrain.CONTROL]
    losses = np.stack(table["test_losses"].to_numpy())
    assert losses.shape == (4, len(test)) and losses.dtype == np.float32
    np.testing.assert_allclose(losses[3], model.losses(theta, test.x, test.y), rtol=1e-6)
    assert table["param_distance"].iloc[3] == 0 and (table["param_distance"].iloc[:3] > 0).all()
    assert table["steps"].tolist() == [4, 4, 4, 0] and (table["gradient_norm"] > 0).all()

    # every model's parameters are stored with it, and give the test losses recorded beside them
    for row in table.itertuples():
        np.testing.assert_allclose(model.losses(row.theta, test.x, test.y), row.test_losses, rtol=1e-5)
    np.testing.assert_array_equal(table["theta"].iloc[3], theta)

    points = pd.DataFrame({"test": ["b", "d", "e"], "test_position": [1, 3, 3]})
    selected = pd.DataFrame({"train_position": [5, 9, 9], "test": ["b", "b", "d"]})
    # "e" has another objective, measured on the stored models (here: the squared norm of the parameters)
    values = table[["model", "train_position"]].assign(value=[float(t @ t) for t in table["theta"]])
    both = pd.concat([values.assign(table=name) for name in ("x", "y")])
    gathered = gather.gather({"x": table, "y": table}, points, selected, {"e": both})
    gathered = gathered.set_index(["test", "train_position"])
    assert len(gathered) == 6 and (gathered["chunk"] == "x").all()  # a point in two chunks is kept once
    assert "theta" not in gathered  # parameters stay with their chunk
    norms = values["value"].to_numpy()
    for (name, position), row in gathered.iterrows():
        i, j = [5, 9].index(position), points.set_index("test").loc[name, "test_position"]
        value = norms if name == "e" else losses[:, j]
        assert row[ACTUAL] == pytest.approx(value[i] - value[2], abs=1e-6)
        assert row[RAW] == pytest.approx(value[i] - value[3], abs=1e-6)
        # each test point is judged on its own selection; one that chose none (another objective) on every model
        assert row["selected"] == (name != "d" or position == 9)
    with pytest.raises(io.CorruptFileError, match="the test objective's values do not match the models of x"):
        gather.gather({"x": table}, points, selected, {"e": values.assign(table="x").iloc[::-1]})


def test_reset_moves_far_from_the_checkpoint_warm_start_does_not(setup):
    model, theta, state, schedule, train, test = setup
    distance = {}
    for protocol in ("warm_start", "reset"):
        settings = retrain.RetrainSettings(protocol, steps=10, batch_size=8, seed=1)
        thetas = retrain.retrain(model, theta, state, schedule, train, test, np.array([3]), settings)["thetas"]
        distance[protocol] = np.linalg.norm(thetas[0] - theta)
    assert distance["reset"] > 10 * distance["warm_start"]


def predicted_table(values):
    return pd.DataFrame(
        {
            "train_position": np.arange(len(values)),
            "train_index": np.arange(100, 100 + len(values)),
            "label": 0,
            PREDICTED: values,
        }
    )


def test_retraining_order_alternates_most_positive_and_most_negative():
    table = predicted_table([0.5, -0.1, 0.2, -0.7, 0.9, -0.3, 0.0])
    ranked = plan.ranked_for_retraining(table)
    assert ranked["train_position"].tolist() == [4, 3, 0, 5, 2, 1, 6]
    assert ranked["side"].tolist()[:2] == ["positive", "negative"]


def test_selection_is_the_union_over_test_points():
    a = predicted_table([0.5, -0.1, 0.2, -0.7, 0.9])
    b = predicted_table([-0.5, 0.1, 0.2, 0.7, -0.9])
    chosen = plan.selection({"a": a, "b": b}, k=2)
    assert chosen[["train_position", "test"]].values.tolist() == [[3, "a"], [3, "b"], [4, "a"], [4, "b"]]
    assert chosen["train_index"].tolist() == [103, 103, 104, 104]


def test_chunks_are_named_after_their_points_and_only_added():
    first = plan.plan_chunks([9, 2, 40, 7, 13], {}, size=2)
    assert first["train_position"].tolist() == [2, 7, 9, 13, 40]
    names = first.groupby("chunk")["train_position"].apply(list).to_dict()
    assert sorted(names.values()) == [[2, 7], [9, 13], [40]]
    assert plan.chunk_name([7, 2]) in names and plan.chunk_name([7, 2]).startswith("00002-00007-")
    assert plan.CHUNK_NAME.fullmatch(plan.chunk_name([40]))
    # raising k: the retrained chunks stay, the new points (3, 8, 11) get new chunks
    second = plan.plan_chunks([9, 2, 40, 7, 13, 3, 8, 11], names, size=2)
    grouped = second.groupby("chunk")["train_position"].apply(list).to_dict()
    assert all(grouped[name] == positions for name, positions in names.items())
    assert sorted(set(grouped) - set(names)) == sorted([plan.chunk_name([3, 8]), plan.chunk_name([11])])
    # a lost chunk comes back under its old name; a chunk no longer wanted drops out of the plan
    lost = {name: positions for name, positions in names.items() if positions != [9, 13]}
    again = plan.plan_chunks([9, 2, 40, 7, 13], lost, size=2)
    assert set(again["chunk"]) == set(names)
    assert set(plan.plan_chunks([2, 7], names, size=2)["chunk"]) == {plan.chunk_name([2, 7])}


def test_refits_and_gathering_without_a_control(logistic_problem):
    train, test = logistic_problem
    model = BinaryLogisticRegression(n_features=2, C=0.7, n_train=len(train))
    theta, _ = training.fit_logistic(model, train.x, train.y, tol=1e-10, max_iter=1000)
    table = refit.refit_logistic(model, theta, train, test, 1e-10, 1000, positions=np.array([5, 11]))
    assert table["model"].tolist() == ["left_out", "left_out", "checkpoint"]
    keep = np.arange(len(train)) != 5
    theta_without, _ = training.fit_logistic(model, train.x[keep], train.y[keep], 1e-10, 1000)
    np.testing.assert_allclose(table["test_losses"].iloc[0], model.losses(theta_without, test.x, test.y), rtol=1e-9)
    np.testing.assert_allclose(table["test_losses"].iloc[2], model.losses(theta, test.x, test.y), rtol=1e-12)
    assert table["param_distance"].iloc[0] == np.linalg.norm(theta_without - theta)

    points = pd.DataFrame({"test": ["a", "b"], "test_position": [3, 0]})
    actual = gather.gather({"refits": table}, points, None).set_index(["test", "train_position"])
    assert RAW not in actual and actual["selected"].all() and len(actual) == 4
    losses = np.stack(table["test_losses"].to_numpy())
    for (name, position), row in actual.iterrows():
        i, j = [5, 11].index(position), {"a": 3, "b": 0}[name]
        assert row[ACTUAL] == losses[i, j] - losses[2, j]


def test_refits_from_the_fit_reach_the_refits_from_scratch_and_a_sample_is_seeded(logistic_problem):
    train, test = logistic_problem
    model = BinaryLogisticRegression(n_features=2, C=0.7, n_train=len(train))
    theta, _ = training.fit_logistic(model, train.x, train.y, tol=1e-10, max_iter=1000)
    positions = refit.sampled_positions(len(train), 6, seed=3)
    assert len(set(positions)) == 6 and list(positions) == sorted(positions) and positions.max() < len(train)
    np.testing.assert_array_equal(positions, refit.sampled_positions(len(train), 6, seed=3))
    assert refit.sampled_positions(len(train), None, seed=3) is None
    scratch = refit.refit_logistic(model, theta, train, test, 1e-10, 1000, positions)
    warm = refit.refit_logistic(model, theta, train, test, 1e-10, 1000, positions, from_fit=True)
    assert warm["train_position"].tolist() == [*positions, -1]
    np.testing.assert_allclose(np.stack(warm["theta"]), np.stack(scratch["theta"]), atol=1e-7)
    assert warm["n_iter"].iloc[:-1].sum() < scratch["n_iter"].iloc[:-1].sum()


def test_a_damaged_or_misnamed_chunk_stops_with_its_name(setup, tmp_path):
    model, theta, state, schedule, train, test = setup
    settings = retrain.RetrainSettings("warm_start", steps=2, batch_size=8, seed=0)
    table = retrain.retrain_chunk(model, theta, state, schedule, train, test, np.array([5, 9]), settings)
    folder = tmp_path / "chunks"
    good = folder / f"{plan.chunk_name([5, 9])}.parquet"
    io.write_table(table, good)
    assert plan.retrained_chunks(folder) == {good.stem: [5, 9]}

    misnamed = folder / f"{plan.chunk_name([5, 10])}.parquet"
    misnamed.write_bytes(good.read_bytes())
    with pytest.raises(io.CorruptFileError, match=rf"{misnamed}: holds the left-out points \[5, 9\], not the ones"):
        plan.retrained_chunks(folder)
    misnamed.unlink()

    good.write_bytes(good.read_bytes()[: good.stat().st_size // 2])  # damaged on disk, e.g. a full disk elsewhere
    with pytest.raises(
        io.CorruptFileError, match=rf"^{good}: cannot be read \(.*\); it is damaged or incomplete: delete"
    ):
        plan.retrained_chunks(folder)


def test_parameter_changes_of_warm_start_and_complete_retraining(setup):
    """Thesis figure 5.19: the warm-started change is the chunk engine's for the same point; starting over lands
    much further away."""
    model, theta, state, schedule, train, test = setup
    warm = retrain.RetrainSettings("warm_start", steps=4, batch_size=8, seed=0)
    changes = parameter_change.parameter_changes(
        model, theta, state, schedule, _dataset(train, test), 5, warm, reset_seed=9
    )
    assert list(changes) == ["warm_start", "reset"]
    chunk = retrain.retrain_chunk(model, theta, state, schedule, train, test, np.array([5]), warm)
    assert np.linalg.norm(changes["warm_start"]) == pytest.approx(chunk["param_distance"].iloc[0], rel=1e-5)
    assert np.linalg.norm(changes["reset"]) > 10 * np.linalg.norm(changes["warm_start"])

    # an experiment whose leave-one-out starts over still compares both protocols, for loo.steps warm-started
    retraining = retrain.RetrainSettings("reset", steps=4, batch_size=8, seed=0)
    again = parameter_change.parameter_changes(model, theta, state, schedule, _dataset(train, test), 5, retraining, 9)
    assert list(again) == ["warm_start", "reset"]
    np.testing.assert_array_equal(again["warm_start"], changes["warm_start"])
