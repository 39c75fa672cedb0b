"""The all-CNN: architecture (thesis Table 4.1), per-example gradients, exact Hessian, training."""

import numpy as np
import pytest
import tensorflow as tf

from influential import models
from influential.core.errors import InputError
from influential.data.splits import Dataset, Split
from influential.derivatives import gradients
from influential.derivatives import hessian as hs
from influential.models.all_cnn import AllCNN
from influential.training import adam, optimizer
from influential.training import fit as training

TABLE_4_1 = {  # thesis Table 4.1, batch dimension left out
    "h1_a": (26, 26, 8),
    "h1_c": (12, 12, 8),
    "h2_a": (10, 10, 8),
    "h2_c": (4, 4, 8),
    "h3_a": (2, 2, 8),
    "h3_c": (2, 2, 10),
    "h3_d": (10,),
    "logits": (10,),
}


def mnist_cnn():
    return AllCNN(side=28, channels=1, n_classes=10, weight_decay=0.001)


def images(n, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 28, 28, 1)).astype(np.float32), rng.integers(0, classes, n)


def test_parameter_count_and_layer_shapes_match_the_thesis():
    model = mnist_cnn()
    assert model.n_params == 2616
    sizes = {name: int(np.prod(shape)) for name, shape in model.shapes}
    assert [sizes[f"{layer}/weights"] + sizes[f"{layer}/biases"] for layer in ("h1_a", "h1_c", "h3_c", "logits")] == [
        80,
        584,
        90,
        110,
    ]
    x, _ = images(3)
    outputs = model.layer_outputs(tf.constant(model.initial_params(0)), x)
    assert dict(zip(model.layer_names, (tuple(o.shape[1:]) for o in outputs), strict=True)) == TABLE_4_1
    assert models.from_meta(model.meta()) == model


def test_initialisation_follows_koh_and_liang():
    model = mnist_cnn()
    theta = model.initial_params(3)
    params = dict(zip([n for n, _ in model.shapes], model.unflatten(tf.constant(theta)), strict=True))
    assert all(np.all(params[f"{layer.name}/biases"].numpy() == 0) for layer in model.conv_layers)
    h2 = params["h2_a/weights"].numpy().ravel()
    std = 2 / np.sqrt(3 * 3 * 8)
    assert np.abs(h2).max() <= 2 * std
    assert 0.8 * std < h2.std() < 0.9 * std  # a normal truncated at 2 std keeps 88% of its spread
    assert np.abs(params["logits/weights"].numpy()).max() <= 2 / np.sqrt(10)
    assert np.array_equal(theta, model.initial_params(3)) and not np.array_equal(theta, model.initial_params(4))


def test_regularizer_is_weight_decay_on_weights_only():
    model = mnist_cnn()
    theta = model.initial_params(0) + 1.0
    weights = theta[model.is_weight()]
    assert model.is_weight().sum() == 2616 - (8 * 5 + 10 + 10)
    assert model.regularizer(tf.constant(theta)).numpy() == pytest.approx(0.001 * np.sum(weights**2) / 2, rel=1e-5)


def test_per_example_gradients_equal_tensorflow_jacobian():
    model = mnist_cnn()
    theta = model.initial_params(1)
    x, y = images(6)
    t = tf.constant(theta)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(t)
        losses = model.loss(t, x, y)
    expected = tape.jacobian(losses, t, experimental_use_pfor=False).numpy()
    got = gradients.per_example_gradients(model, theta, x, y, batch_size=4)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


def finite_difference_columns(model, theta, x, y, indices, eps=1e-5):
    """Central differences of the objective's gradient along the given coordinates."""
    gradient = lambda t: gradients.objective_gradient(model, t, x, y)  # noqa: E731
    return np.stack(
        [(gradient(theta + eps * e) - gradient(theta - eps * e)) / (2 * eps) for e in np.eye(len(theta))[indices]],
        axis=1,
    )


@pytest.fixture(scope="module")
def cnn_hessian():
    """The all-CNN's exact Hessian by the layer-block scheme on seven random images, in float64, computed once (its
    tracing is most of its cost) for the two checks below."""
    model = mnist_cnn()
    theta = model.initial_params(6).astype(np.float64)
    x, y = images(7)
    x = x.astype(np.float64)
    return model, theta, x, y, hs.hessian(model, theta, x, y, batch_size=7)


def test_exact_hessian_matches_finite_differences(cnn_hessian):
    model, theta, x, y, h = cnn_hessian
    columns = np.concatenate([[0], np.cumsum(model.sizes)[:-1]])  # the first entry of every weight and bias tensor
    expected = finite_difference_columns(model, theta, x, y, columns)
    np.testing.assert_allclose(h[:, columns], expected, atol=1e-6 * np.abs(expected).max())
    np.testing.assert_allclose(h, h.T)


def test_hessian_vector_products_match_finite_differences_of_gradients():
    model = mnist_cnn()
    theta = model.initial_params(4).astype(np.float64)
    x, y = images(8)
    x = x.astype(np.float64)
    v = np.random.default_rng(5).standard_normal(model.n_params)
    eps = 1e-5
    numeric = (
        gradients.objective_gradient(model, theta + eps * v, x, y)
        - gradients.objective_gradient(model, theta - eps * v, x, y)
    ) / (2 * eps)
    operator = hs.hessian_operator(model, theta, x, y, damping=0.1, batch_size=3)
    np.testing.assert_allclose(operator(v), numeric + 0.1 * v, rtol=1e-6, atol=1e-6 * np.abs(numeric).max())
    np.testing.assert_allclose(operator.on(np.arange(8), tf.constant(v)).numpy(), operator(v), rtol=1e-10)


def test_structured_hessian_equals_products_with_the_full_network(cnn_hessian):
    """The layer-block scheme against plain Hessian-vector products through the whole all-CNN."""
    model, theta, x, y, h = cnn_hessian
    operator = hs.hessian_operator(model, theta, x, y)
    for v in np.random.default_rng(0).standard_normal((3, model.n_params)):
        expected = operator(v)
        assert np.linalg.norm(h @ v - expected) < 1e-10 * np.linalg.norm(expected)


def test_adam_update_matches_tensorflow_1s_formula():
    theta, m, v, g = np.array([1.0, -2.0]), np.array([0.1, 0.0]), np.array([0.01, 0.0]), np.array([0.5, -1.0])
    step, rate = 4, 0.01
    updated = adam.adam_update(*map(tf.constant, (theta, m, v)), step, tf.constant(g), rate)
    new_theta, new_m, new_v = (t.numpy() for t in updated)
    m_ref, v_ref = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g**2
    rate_t = rate * np.sqrt(1 - 0.999**5) / (1 - 0.9**5)
    np.testing.assert_allclose(new_m, m_ref)
    np.testing.assert_allclose(new_v, v_ref)
    np.testing.assert_allclose(new_theta, theta - rate_t * m_ref / (np.sqrt(v_ref) + 1e-8))


def test_learning_rate_schedule_and_minibatches():
    settings = optimizer.AdamSettings(steps=10, batch_size=3, learning_rate=1e-4, schedule=((110, 0.1), (220, 0.01)))
    assert [settings.learning_rate_at(s) for s in (0, 109, 110, 219, 220, 10**6)] == pytest.approx(
        [1e-4, 1e-4, 1e-5, 1e-5, 1e-6, 1e-6]
    )
    stream = adam.minibatches(10, 3, seed=7)
    epoch = np.concatenate([next(stream) for _ in range(3)])
    assert len(set(epoch)) == 9  # three disjoint batches, the tenth example left for the next permutation
    again = adam.minibatches(10, 3, seed=7)
    assert np.array_equal(next(again), epoch[:3])
    with pytest.raises(InputError, match=r"batch_size 11 is larger than the 10 training examples"):
        next(adam.minibatches(10, 11, seed=0))


def small_dataset(n=60):
    x, y = images(n + 20)
    split = lambda a, b: Split(x[a:b], y[a:b], np.arange(a, b))  # noqa: E731
    return Dataset(split(0, n), split(n, n + 20), split(n, n), meta={"n_classes": 10, "marked": {}})


ADAM = {
    "steps": 30,
    "batch_size": 20,
    "learning_rate": 0.01,
    "schedule": [],
    "seed": 0,
    "log_every": 10,
    "checkpoint_every": 10,
}


def test_training_is_reproducible_and_logs_each_interval():
    dataset = small_dataset()
    first = training.train({"kind": "all_cnn", "weight_decay": 0.001}, ADAM, dataset)
    second = training.train({"kind": "all_cnn", "weight_decay": 0.001}, ADAM, dataset)
    np.testing.assert_array_equal(first.theta, second.theta)
    assert first.log["step"].tolist() == [10, 20, 30] and first.optimizer.step == 30
    assert first.log["train_loss"].iloc[-1] < first.log["train_loss"].iloc[0]
    assert set(first.summary) == {
        "objective",
        "gradient_norm",
        "train_accuracy",
        "validation_accuracy",
        "test_accuracy",
    }


def test_divergence_stops_training_with_the_step():
    with pytest.raises(training.TrainingError, match=r"step 10: .*(not finite|diverged)"):
        training.train({"kind": "all_cnn", "weight_decay": 0.001}, {**ADAM, "learning_rate": 1e30}, small_dataset())
