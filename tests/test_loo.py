"""Leave-one-out retraining of the all-CNN: the vectorised engine, selection and chunking."""

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from influential import loo, models, training
from influential.data import Split
from influential.evaluation import ACTUAL, PREDICTED, RAW


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(0)
    model = models.AllCNN(side=28, channels=1, n_classes=10, weight_decay=0.001)
    x = rng.random((24, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, 24)
    train, test = Split(x[:20], y[:20], np.arange(20)), Split(x[20:], y[20:], np.arange(20, 24))
    schedule = training.AdamSettings(steps=10, batch_size=8, learning_rate=1e-3, schedule=((12, 0.1),))
    theta = model.initial_params(0)
    theta, state, _ = training.fit_adam(
        model, _dataset(train, test), schedule, theta, training.AdamState.zeros_like(theta)
    )
    return model, theta, state, schedule, train, test


def _dataset(train, test):
    from influential.data import Dataset

    return Dataset(train, test, test, meta={"n_classes": 10, "marked": {}})


def one_at_a_time(model, theta, state, schedule, train, left_out, settings):
    """Reference: a single network through model.loss, the left-out point masked, the same minibatches."""
    t, m, v = tf.constant(theta), tf.constant(state.m), tf.constant(state.v)
    batches = training.minibatches(len(train), settings.batch_size, settings.seed)
    for done in range(state.step, state.step + settings.steps):
        batch = next(batches)
        keep = tf.constant((batch != left_out).astype(np.float32))
        with tf.GradientTape() as tape:
            tape.watch(t)
            losses = model.loss(t, train.x[batch], train.y[batch])
            objective = tf.reduce_sum(keep * losses) / tf.reduce_sum(keep) + model.regularizer(t)
        t, m, v = training.adam_update(t, m, v, done, tape.gradient(objective, t), schedule.learning_rate_at(done))
    return t.numpy()


@pytest.mark.parametrize(
    ("fused", "examples_per_call"),
    [(False, 2000), (True, 2000), (False, 16)],
    ids=["side_by_side", "fused", "two_calls_per_step"],
)
def test_vectorised_retraining_equals_one_model_at_a_time(setup, fused, examples_per_call, monkeypatch):
    model, theta, state, schedule, train, test = setup
    monkeypatch.setattr(loo, "CPU_EXAMPLES_PER_CALL", examples_per_call)  # 16 / batch 8: models [2, 7], [control]
    settings = loo.RetrainSettings("warm_start", steps=6, batch_size=8, seed=3)
    stacked = model.stacked_logits
    monkeypatch.setattr(type(model), "stacked_logits", lambda self, t, x: stacked(t, x, fused=fused))
    left_out = np.array([2, 7, loo.CONTROL])
    result = loo.retrain(model, theta, state, schedule, train, test, left_out, settings)
    for k, position in enumerate(left_out):
        expected = one_at_a_time(model, theta, state, schedule, train, position, settings)
        np.testing.assert_allclose(result["thetas"][k], expected, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(result["test_losses"][k], model.losses(expected, test.x, test.y), rtol=1e-4)
    assert not np.allclose(result["thetas"][0], result["thetas"][2])  # removing a point changes the model


def test_chunk_table_pairs_each_model_with_the_control(setup):
    model, theta, state, schedule, train, test = setup
    settings = loo.RetrainSettings("warm_start", steps=4, batch_size=8, seed=0)
    table = loo.retrain_chunk(model, theta, state, schedule, train, test, np.array([5, 9]), settings)
    assert table["model"].tolist() == ["left_out", "left_out", "control", "checkpoint"]
    assert table["train_position"].tolist() == [5, 9, loo.CONTROL, loo.CONTROL]
    losses = np.stack(table["test_losses"].to_numpy())
    assert losses.shape == (4, len(test)) and losses.dtype == np.float32
    np.testing.assert_allclose(losses[3], model.losses(theta, test.x, test.y), rtol=1e-6)
    assert table["param_distance"].iloc[3] == 0 and (table["param_distance"].iloc[:3] > 0).all()
    assert table["steps"].tolist() == [4, 4, 4, 0] and (table["gradient_norm"] > 0).all()

    points = pd.DataFrame({"test": ["b", "d"], "test_position": [1, 3]})
    selected = pd.DataFrame({"train_position": [5, 9], "test": ["b", "b"]})
    gathered = loo.gather({"x": table, "y": table}, points, selected).set_index(["test", "train_position"])
    assert len(gathered) == 4 and (gathered["chunk"] == "x").all()  # a point in two chunks is kept once
    for (name, position), row in gathered.iterrows():
        i, j = [5, 9].index(position), points.set_index("test").loc[name, "test_position"]
        assert row[ACTUAL] == pytest.approx(losses[i, j] - losses[2, j], abs=1e-6)
        assert row[RAW] == pytest.approx(losses[i, j] - losses[3, j], abs=1e-6)
        assert row["selected"] == (name == "b")


def test_reset_moves_far_from_the_checkpoint_warm_start_does_not(setup):
    model, theta, state, schedule, train, test = setup
    distance = {}
    for protocol in ("warm_start", "reset"):
        settings = loo.RetrainSettings(protocol, steps=10, batch_size=8, seed=1)
        thetas = loo.retrain(model, theta, state, schedule, train, test, np.array([3]), settings)["thetas"]
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
    ranked = loo.ranked_for_retraining(table)
    assert ranked["train_position"].tolist() == [4, 3, 0, 5, 2, 1, 6]
    assert ranked["side"].tolist()[:2] == ["positive", "negative"]


def test_selection_is_the_union_over_test_points():
    a = predicted_table([0.5, -0.1, 0.2, -0.7, 0.9])
    b = predicted_table([-0.5, 0.1, 0.2, 0.7, -0.9])
    chosen = loo.selection({"a": a, "b": b}, k=2)
    assert chosen[["train_position", "test"]].values.tolist() == [[3, "a"], [3, "b"], [4, "a"], [4, "b"]]
    assert chosen["train_index"].tolist() == [103, 103, 104, 104]


def test_chunks_are_named_after_their_points_and_only_added():
    first = loo.plan_chunks([9, 2, 40, 7, 13], {}, size=2)
    assert first["train_position"].tolist() == [2, 7, 9, 13, 40]
    names = first.groupby("chunk")["train_position"].apply(list).to_dict()
    assert sorted(names.values()) == [[2, 7], [9, 13], [40]]
    assert loo.chunk_name([7, 2]) in names and loo.chunk_name([7, 2]).startswith("00002-00007-")
    assert loo.CHUNK_NAME.fullmatch(loo.chunk_name([40]))
    # raising k: the retrained chunks stay, the new points (3, 8, 11) get new chunks
    second = loo.plan_chunks([9, 2, 40, 7, 13, 3, 8, 11], names, size=2)
    grouped = second.groupby("chunk")["train_position"].apply(list).to_dict()
    assert all(grouped[name] == positions for name, positions in names.items())
    assert sorted(set(grouped) - set(names)) == sorted([loo.chunk_name([3, 8]), loo.chunk_name([11])])
    # a lost chunk comes back under its old name; a chunk no longer wanted drops out of the plan
    lost = {name: positions for name, positions in names.items() if positions != [9, 13]}
    again = loo.plan_chunks([9, 2, 40, 7, 13], lost, size=2)
    assert set(again["chunk"]) == set(names)
    assert set(loo.plan_chunks([2, 7], names, size=2)["chunk"]) == {loo.chunk_name([2, 7])}
