"""The Keras wrapper (models.keras_model) against independent computations: the built-in all-CNN written as a Keras
model (examples/keras_all_cnn.py) must give the built-in's numbers, whose derivatives have their own formulas; an
MLP's derivatives against finite differences and its influence against leave-one-out refits; a user's model that
cannot work refused in one line."""

import numpy as np
import pytest
import scipy.optimize
import tensorflow as tf
from scipy import stats

from influential import models
from influential.core import names
from influential.core.errors import InputError
from influential.data.splits import Dataset, Split
from influential.influence import registry
from influential.loo import retrain as loo_retrain
from influential.training import fit as training
from influential.training.optimizer import AdamSettings
from tests.conftest import REPO
from tests.test_cnn import ADAM, small_dataset

EXAMPLES = REPO / "examples"


def keras_config(file, **settings) -> dict:
    return {"kind": "keras", "file": str(file), "build": "build", "output": "logits", "layers": []} | {
        "weight_decay": 0.001,
        **settings,
    }


@pytest.fixture(scope="module")
def twins():
    """The built-in all-CNN and its Keras copy on 40 random images, with a trained theta."""
    dataset = small_dataset(40)
    builtin = models.for_dataset({"kind": "all_cnn", "weight_decay": 0.001}, dataset)
    copy = models.for_dataset(keras_config(EXAMPLES / "keras_all_cnn.py", layers=list(names.LAYERS[:-1])), dataset)
    theta = training.train({"kind": "all_cnn", "weight_decay": 0.001}, ADAM, dataset).theta
    return builtin, copy, theta, dataset


def test_keras_all_cnn_has_the_builtin_parameters_layers_and_initialisation(twins):
    builtin, copy, _, _ = twins
    assert copy.n_params == builtin.n_params == 2616
    assert copy.layer_names == builtin.layer_names
    np.testing.assert_array_equal(copy.is_weight(), builtin.is_weight())
    for seed in (0, 3):
        np.testing.assert_array_equal(copy.initial_params(seed), builtin.initial_params(seed))
    assert models.from_meta(copy.meta()) == copy


def test_keras_all_cnn_gives_the_builtin_losses_gradients_and_representations(twins):
    builtin, copy, theta, dataset = twins
    x, y = dataset.train.x, dataset.train.y
    np.testing.assert_allclose(copy.losses(theta, x, y), builtin.losses(theta, x, y), rtol=1e-5, atol=1e-6)
    # float64: the wrapper builds the network under float64, so both agree to float64 rounding
    theta64 = theta.astype(np.float64)
    np.testing.assert_allclose(copy.losses(theta64, x, y), builtin.losses(theta64, x, y), rtol=1e-12)
    np.testing.assert_allclose(
        copy.per_example_gradients(theta, x, y, 20), builtin.per_example_gradients(theta, x, y, 20), atol=2e-6
    )
    ours, theirs = copy.representations(theta, x[:7]), builtin.representations(theta, x[:7])
    assert list(ours) == list(theirs)
    for layer in ours:
        np.testing.assert_allclose(ours[layer], theirs[layer], atol=1e-6, err_msg=layer)
    v = np.random.default_rng(0).standard_normal(builtin.n_params)
    products = [m.hessian_operator(theta64, x, y, 0.0, 20)(v) for m in (copy, builtin)]  # mean loss + weight decay
    np.testing.assert_allclose(products[0], products[1], rtol=1e-9, atol=1e-12)


def test_keras_all_cnn_gives_the_builtin_exact_influence(twins):
    builtin, copy, theta, dataset = twins
    settings = {"damping": 0.5, "batch_size": 12}  # 12 examples: the generic Hessian is HVPs column by column
    x, y, test = dataset.train.x[:12], dataset.train.y[:12], dataset.validation
    ours, theirs = (
        registry.build(names.EXACT, settings, m, theta.astype(np.float64), x, y).change_if_removed(
            test.x[:3], test.y[:3]
        )
        for m in (copy, builtin)
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6 * np.abs(theirs).max())


def test_keras_all_cnn_trains_and_retrains_to_the_builtin_parameters(twins):
    builtin, copy, _, dataset = twins
    config = keras_config(EXAMPLES / "keras_all_cnn.py")
    trained = [training.train(c, ADAM, dataset) for c in (config, {"kind": "all_cnn", "weight_decay": 0.001})]
    np.testing.assert_allclose(trained[0].theta, trained[1].theta, atol=2e-5)
    assert trained[0].log["step"].tolist() == trained[1].log["step"].tolist()
    settings = loo_retrain.RetrainSettings("warm_start", steps=10, batch_size=20, seed=1)
    left_out = np.array([loo_retrain.CONTROL, 0, 7])
    retrained = [
        loo_retrain.retrain(
            m,
            t.theta,
            t.optimizer,
            AdamSettings.from_config(ADAM),
            dataset.train,
            dataset.validation,
            left_out,
            settings,
        )
        for m, t in zip((copy, builtin), trained, strict=True)
    ]
    np.testing.assert_allclose(retrained[0]["thetas"], retrained[1]["thetas"], atol=5e-5)
    np.testing.assert_allclose(retrained[0]["test_losses"], retrained[1]["test_losses"], atol=5e-5)


def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy classes in four dimensions."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    return (rng.standard_normal((n, 4)) + 1.2 * (2 * y[:, None] - 1)).astype(np.float32), y


@pytest.fixture(scope="module")
def mlp():
    x, y = blobs(40, 0)
    xt, yt = blobs(6, 1)
    dataset = Dataset(
        Split(x, y, np.arange(40)),
        Split(xt, yt, np.arange(6)),
        Split(xt[:0], yt[:0], np.arange(0)),
        meta={"n_classes": 2, "marked": {}},
    )
    model = models.for_dataset(keras_config(EXAMPLES / "keras_mlp.py", layers=["hidden"], weight_decay=0.1), dataset)
    return model, dataset


def objective(model, x, y):
    """The training objective (mean loss + weight decay) and its gradient, float64, for scipy."""

    def value_and_gradient(theta):
        t = tf.constant(theta)
        with tf.GradientTape() as tape:
            tape.watch(t)
            value = tf.reduce_mean(model.loss(t, x, y)) + model.regularizer(t)
        return float(value), tape.gradient(value, t).numpy()

    return value_and_gradient


def minimise(model, x, y, start):
    result = scipy.optimize.minimize(
        objective(model, x, y), start, jac=True, method="L-BFGS-B", tol=1e-14, options={"maxiter": 5000, "gtol": 1e-11}
    )
    return result.x


def test_mlp_gradients_and_hessian_products_match_finite_differences(mlp):
    model, dataset = mlp
    x, y = dataset.train.x, dataset.train.y
    theta = model.initial_params(0).astype(np.float64)
    assert model.n_params == 4 * 8 + 8 + 8 * 2 + 2 and model.layer_names == ("hidden", "logits")
    f = lambda t: model.losses(t, x, y).mean() + model.regularizer_value(t)  # noqa: E731
    gradient = model.loss_gradient(theta, x, y, 16) + model.regularizer_gradient(theta)
    eps, rng = 1e-6, np.random.default_rng(1)
    for i in rng.choice(model.n_params, 8, replace=False):
        e = np.zeros_like(theta)
        e[i] = eps
        assert gradient[i] == pytest.approx((f(theta + e) - f(theta - e)) / (2 * eps), rel=1e-6, abs=1e-9)
    v = rng.standard_normal(model.n_params)
    g = lambda t: model.loss_gradient(t, x, y, 16) + model.regularizer_gradient(t)  # noqa: E731
    difference = (g(theta + eps * v) - g(theta - eps * v)) / (2 * eps)
    np.testing.assert_allclose(model.hessian_operator(theta, x, y, 0.0, 16)(v), difference, rtol=1e-5, atol=1e-8)


def test_mlp_exact_influence_predicts_leave_one_out_refits(mlp):
    model, dataset = mlp
    x, y, test = dataset.train.x, dataset.train.y, dataset.validation
    theta = minimise(model, x, y, model.initial_params(0).astype(np.float64))
    # damping: the softmax is flat along "add one constant to both output biases", which weight decay leaves alone
    settings = {"damping": 1e-3, "batch_size": 40}
    predicted = registry.build(names.EXACT, settings, model, theta, x, y).change_if_removed(test.x, test.y)
    base = model.losses(theta, test.x, test.y)
    actual = np.stack(
        [
            model.losses(minimise(model, np.delete(x, z, 0), np.delete(y, z), theta), test.x, test.y) - base
            for z in range(len(y))
        ],
        axis=1,
    )
    for i in range(len(test.y)):
        assert stats.pearsonr(predicted[i], actual[i]).statistic > 0.98, i


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (None, "model.file: {file} does not exist"),
        ("def other(input_shape, n_classes):\n    pass\n", "model.build: {file} has no function 'build'"),
        (
            "def build(input_shape, n_classes):\n    return 3\n",
            "model.build: {file}:build returned int, not a keras.Model",
        ),
        (
            "import keras\ndef build(input_shape, n_classes):\n"
            "    return keras.Sequential([keras.Input(input_shape), keras.layers.Dense(3)])\n",
            "model: {file}:build outputs shape (3,) per example; the dataset has 2 classes",
        ),
        (
            "import keras\ndef build(input_shape, n_classes):\n    return keras.Sequential([keras.Input(input_shape), "
            "keras.layers.Dense(n_classes), keras.layers.Lambda(lambda t: t * float('nan'))])\n",
            "model: {file}:build has a non-finite loss at its initial weights on 40 training examples",
        ),
        (
            "import keras\nclass Fresh(keras.Model):\n    def __init__(self, n):\n        super().__init__()\n"
            "        self.dense = keras.layers.Dense(n)\n    def call(self, x):\n"
            "        return self.dense(x) * keras.Variable(1.0)\n"
            "def build(input_shape, n_classes):\n    return Fresh(n_classes)\n",
            "model: {file}:build (Fresh) cannot be called statelessly",
        ),
        (
            "import keras\ndef build(input_shape, n_classes):\n    return keras.Sequential([keras.Input(input_shape), "
            "keras.layers.Dense(n_classes, activation='sigmoid')])\n",
            "model.output: {file}:build's outputs do not sum to 1 over the classes; set output: logits",
        ),
        (
            "import keras\ndef build(input_shape, n_classes):\n    return keras.Sequential([keras.Input(input_shape), "
            "keras.layers.Dense(n_classes, kernel_regularizer='l2', name='out')])\n",
            "model: {file}:build layer 'out' has a kernel_regularizer, which the workflow does not apply; "
            "remove it and set model.weight_decay",
        ),
    ],
)
def test_a_model_that_cannot_work_is_refused_in_one_line(tmp_path, mlp, source, message):
    _, dataset = mlp
    file = tmp_path / "user_model.py"
    if source is not None:
        file.write_text(source)
    output = "probabilities" if "sum to 1" in message else "logits"
    with pytest.raises(InputError) as raised:
        models.for_dataset(keras_config(file, output=output), dataset)
    assert str(raised.value).startswith(message.format(file=file)) and "\n" not in str(raised.value)


def test_a_layer_the_model_lacks_is_named_with_those_it_has(mlp):
    _, dataset = mlp
    with pytest.raises(
        InputError,
        match=r"model.layers: .*keras_mlp.py:build has no layer 'hiden' \(its layers: "
        r"pixels, hidden, logits\)",
    ):
        models.for_dataset(keras_config(EXAMPLES / "keras_mlp.py", layers=["hiden"]), dataset)


def test_influence_restricted_to_the_last_layer_predicts_refits_of_that_layer(mlp):
    """With the hidden layer held fixed the objective is convex in the output layer's weights: the restricted
    influence function must predict leave-one-out refits of that layer alone, and equal the full Hessian's block."""
    model, dataset = mlp
    x, y, test = dataset.train.x, dataset.train.y, dataset.validation
    theta = minimise(model, x, y, model.initial_params(0).astype(np.float64))
    settings = {"damping": 1e-3, "batch_size": 40, "layers": ["logits"]}
    restricted, sub = models.restricted_for(model, theta, settings)
    assert restricted.n_params == 8 * 2 + 2 and restricted.kind == names.KERAS
    np.testing.assert_allclose(
        restricted.per_example_gradients(sub, x, y, 16),
        model.per_example_gradients(theta, x, y, 16)[:, restricted.mask],
    )
    full_hessian = model.loss_hessian(theta, x, y, 40) + model.regularizer_hessian(theta)
    np.testing.assert_allclose(
        restricted.loss_hessian(sub, x, y, 40) + restricted.regularizer_hessian(sub),
        full_hessian[np.ix_(restricted.mask, restricted.mask)],
        atol=1e-10,
    )
    predicted = registry.build(names.EXACT, settings, restricted, sub, x, y).change_if_removed(test.x, test.y)
    cg = registry.build(names.CG, settings | {"cg": {"tol": 1e-12, "max_iter": 200}}, restricted, sub, x, y)
    np.testing.assert_allclose(cg.change_if_removed(test.x, test.y), predicted, rtol=1e-5, atol=1e-10)
    base = model.losses(theta, test.x, test.y)
    actual = []
    for z in range(len(y)):
        refit = minimise(restricted, np.delete(x, z, 0), np.delete(y, z), sub)
        actual.append(restricted.losses(refit, test.x, test.y) - base)
    actual = np.stack(actual, axis=1)
    for i in range(len(test.y)):
        assert stats.pearsonr(predicted[i], actual[i]).statistic > 0.99, i


def test_a_layer_without_parameters_is_refused_with_those_that_have_them(mlp):
    model, _ = mlp
    with pytest.raises(
        InputError,
        match=r"influence.layers: 'pixels' holds no parameters of this keras model "
        r"\(layers with parameters: hidden, logits\)",
    ):
        models.restricted_for(model, model.initial_params(0), {"layers": ["pixels"]})
