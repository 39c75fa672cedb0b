"""Trajectory estimators: the recorded training path, HYDRA against finite differences and an independent forward
recursion, TracIn against a direct sum, and HYDRA over a retraining window against leave-one-out retraining."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from influential.data.splits import Dataset, Split
from influential.derivatives import gradients
from influential.influence import hydra, registry, tracin
from influential.loo import retrain
from influential.models.all_cnn import AllCNN
from influential.training import adam
from influential.training import fit as training
from influential.training.optimizer import AdamSettings, AdamState
from influential.training.replay import replay

N, BATCH = 10, 4


def tiny(dtype=np.float64, n=N, seed=0):
    """193 parameters (two channels, three classes), float64 so that finite differences are exact enough."""
    rng = np.random.default_rng(seed)
    model = AllCNN(side=28, channels=1, n_classes=3, weight_decay=0.01, hidden=2)
    x = rng.random((n + 2, 28, 28, 1)).astype(dtype)
    y = rng.integers(0, 3, n + 2)
    split = lambda a, b: Split(x[a:b], y[a:b], np.arange(a, b))  # noqa: E731
    dataset = Dataset(split(0, n), split(n, n + 2), split(n, n + 2), meta={"n_classes": 3, "marked": {}})
    return model, dataset


def fit(model, dataset, steps=8, learning_rate=0.01, every=3):
    settings = AdamSettings(steps, BATCH, learning_rate, seed=1, log_every=steps, checkpoint_every=every)
    theta0 = model.initial_params(0).astype(dataset.train.x.dtype)
    return training.fit_adam(model, dataset, settings, theta0, AdamState.zeros_like(theta0))


def test_training_records_its_trajectory_and_a_replay_retraces_it():
    model, dataset = tiny(np.float32)
    theta, state, _, trajectory = fit(model, dataset, steps=8, every=3)
    assert trajectory.steps.tolist() == [0, 3, 6, 8] and len(trajectory.learning_rates) == 8
    np.testing.assert_array_equal(trajectory.thetas[0], model.initial_params(0))
    np.testing.assert_array_equal(trajectory.thetas[-1], theta)
    np.testing.assert_array_equal(trajectory.m[-1], state.m)
    updates = list(replay(model, trajectory, dataset.train.x, dataset.train.y, record=1, steps=3))
    assert [u.t for u in updates] == [3, 4, 5]
    np.testing.assert_array_equal(updates[-1].theta_next.numpy(), trajectory.thetas[2])
    np.testing.assert_array_equal(updates[-1].v_next.numpy(), trajectory.v[2])


def weighted_run(model, dataset, weight_of: dict[int, float], steps=8, learning_rate=0.01, batch_size=BATCH):
    """Reference: Adam on the weighted minibatch mean sum(w loss) / sum(w) + R, written out here (from the model's
    initialisation with seed 0, minibatches with seed 1)."""
    theta = tf.constant(model.initial_params(0).astype(np.float64))
    m = v = tf.zeros_like(theta)
    batches = adam.minibatches(len(dataset.train.y), batch_size, seed=1)
    x, y = dataset.train.x, dataset.train.y
    for step in range(steps):
        batch = next(batches)
        w = tf.constant([weight_of.get(int(i), 1.0) for i in batch], tf.float64)
        with tf.GradientTape() as tape:
            tape.watch(theta)
            objective = tf.reduce_sum(w * model.loss(theta, x[batch], y[batch])) / tf.reduce_sum(w)
            objective += model.regularizer(theta)
        theta, m, v = adam.adam_update(theta, m, v, step, tape.gradient(objective, theta), learning_rate)
    return theta.numpy()


def test_hessian_aware_hydra_is_the_derivative_of_the_test_loss_by_a_points_weight():
    model, dataset = tiny()
    _, _, _, trajectory = fit(model, dataset)
    test_x, test_y = dataset.test.x[:1], dataset.test.y[:1]
    last = trajectory.thetas[-1]
    g_test = gradients.per_example_gradients(model, last, test_x, test_y)[0]
    derivative = hydra.sensitivities(model, trajectory, dataset.train.x, dataset.train.y, g_test, True)
    eps = 1e-4
    for i in (0, 3, 7):
        up, down = (weighted_run(model, dataset, {i: 1 + sign * eps}) for sign in (1, -1))
        numeric = (model.losses(up, test_x, test_y)[0] - model.losses(down, test_x, test_y)[0]) / (2 * eps)
        assert derivative[i] == pytest.approx(numeric, rel=1e-4), i
    assert np.count_nonzero(derivative) >= N - 2  # each point sits in some minibatch (two per epoch drop out)
    # the estimator over the whole run predicts the loss change of leaving a point out: minus that derivative
    settings = {"batch_size": 64, "hydra": {"window": "full", "segment": 100}}
    full = registry.build("hydra", settings, model, last, dataset.train.x, dataset.train.y, trajectory=trajectory)
    np.testing.assert_allclose(full.change_if_removed(test_x, test_y)[0], -derivative, rtol=1e-10)
    assert full.diagnostics[0]["window"] == [0, 8]


def forward_hessian_free(model, trajectory, dataset, direction):
    """Reference for Hessian-free HYDRA: carry every point's tangent (h, dm, dv) forward, in numpy."""
    x, y, n = dataset.train.x, dataset.train.y, N
    b1, b2, eps = AdamState.BETA1, AdamState.BETA2, AdamState.EPSILON
    decay = model.weight_decay * model.is_weight()
    h, dm, dv = (np.zeros((n, model.n_params)) for _ in range(3))
    for update in replay(model, trajectory, x, y, 0, trajectory.last):
        batch = update.batch.numpy()
        g = gradients.per_example_gradients(model, update.theta.numpy(), x[batch], y[batch])
        d_gradient = decay * h
        d_gradient[batch] += (g - g.mean(axis=0)) / len(batch)
        dm = b1 * dm + (1 - b1) * d_gradient
        dv = b2 * dv + 2 * (1 - b2) * update.gradient.numpy() * d_gradient
        m, s = update.m_next.numpy(), np.sqrt(update.v_next.numpy())
        alpha = update.rate * np.sqrt(1 - b2 ** (update.t + 1)) / (1 - b1 ** (update.t + 1))
        h = h - alpha * (dm / (s + eps) - m * dv / (2 * s * (s + eps) ** 2))
    return h @ direction


def test_hessian_free_hydra_is_the_forward_recursion_without_the_loss_hessian():
    model, dataset = tiny()
    _, _, _, trajectory = fit(model, dataset)
    direction = np.random.default_rng(3).standard_normal(model.n_params)
    got = hydra.sensitivities(model, trajectory, dataset.train.x, dataset.train.y, direction, False)
    np.testing.assert_allclose(got, forward_hessian_free(model, trajectory, dataset, direction), rtol=1e-8)


def test_hessian_free_approaches_hessian_aware_as_the_learning_rate_shrinks():
    model, dataset = tiny()
    gaps = []
    for rate in (1e-2, 1e-3):
        _, _, _, trajectory = fit(model, dataset, learning_rate=rate)
        direction = gradients.per_example_gradients(
            model, trajectory.thetas[-1], dataset.test.x[:1], dataset.test.y[:1]
        )[0]
        aware, free = (
            hydra.sensitivities(model, trajectory, dataset.train.x, dataset.train.y, direction, variant)
            for variant in (True, False)
        )
        gaps.append(np.linalg.norm(aware - free) / np.linalg.norm(aware))
    assert gaps[1] < gaps[0] / 5, gaps


def test_tracin_is_the_rate_weighted_sum_of_gradient_products_at_the_checkpoints():
    model, dataset = tiny()
    _, _, _, trajectory = fit(model, dataset, steps=9, every=1)  # records at 0..9
    estimator = tracin.TracInInfluence(model, dataset.train.x, dataset.train.y, trajectory, checkpoints=3)
    got = estimator.change_if_removed(dataset.test.x, dataset.test.y)
    expected, expected_self = np.zeros_like(got), np.zeros(len(dataset.train.y))
    for step in (1, 5, 9):  # three checkpoints spread evenly over the records after the start, the last included
        theta = tf.constant(trajectory.thetas[step])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(theta)
            train_losses = model.loss(theta, dataset.train.x, dataset.train.y)
            test_losses = model.loss(theta, dataset.test.x, dataset.test.y)
        train, test = (tape.jacobian(losses, theta).numpy() for losses in (train_losses, test_losses))
        expected += trajectory.learning_rates[min(step, 8)] * test @ train.T
        expected_self += trajectory.learning_rates[min(step, 8)] * np.sum(train**2, axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    assert estimator.diagnostics[0]["checkpoints"] == [1, 5, 9]
    np.testing.assert_allclose(estimator.self_influence(), expected_self, rtol=1e-10)  # a point on itself


def test_hydra_over_the_retraining_window_predicts_paired_leave_one_out():
    model, dataset = tiny(np.float32, n=40, seed=2)
    theta, state, _, trajectory = fit(model, dataset, steps=60, learning_rate=0.01, every=20)
    settings = {
        "batch_size": 64,
        "hydra": {"window": "retrain", "segment": 7},
        "retrain": {"method": "warm_start", "steps": 20, "batch_size": 40, "seed": 5, "learning_rate": 1e-3},
        "schedule": {"steps": 60, "batch_size": BATCH, "learning_rate": 0.01, "schedule": [], "seed": 1,
                     "log_every": 60, "checkpoint_every": 20},
    }  # fmt: skip
    test = dataset.test.take(np.array([0]))
    predicted = registry.build(
        "hydra", settings, model, theta, dataset.train.x, dataset.train.y, trajectory=trajectory
    ).change_if_removed(test.x, test.y)[0]
    left_out = np.array([*range(0, 40, 3), retrain.CONTROL])
    result = retrain.retrain(
        model,
        theta,
        state,
        AdamSettings.from_config(settings["schedule"]),
        dataset.train,
        test,
        left_out,
        retrain.RetrainSettings.from_config(settings["retrain"]),
    )
    paired = result["test_losses"][:-1, 0] - result["test_losses"][-1, 0]
    assert stats.pearsonr(predicted[left_out[:-1]], paired).statistic > 0.99
    # by value, not only by correlation: a learning rate or a factor off by 2 keeps Pearson at 1. Leaving a point out
    # moves its minibatches' mean by 1/b, a finite step through Adam's normalisation that a derivative sees to first
    # order only: the slope is 1.15 with minibatches of 8 and 1.06 of 20; full batches (40) here
    slope = stats.linregress(predicted[left_out[:-1]], paired).slope
    assert slope == pytest.approx(1, abs=0.05)


def test_trajectory_estimators_rank_by_a_clean_sets_summed_loss_in_one_pass():
    """The validation ranking's one pass (TracIn) or sweep (HYDRA) equals the per-point predictions summed; HYDRA's
    is minus the derivative of the clean points' summed loss by a training point's weight (central differences)."""
    model, dataset = tiny()
    _, _, _, trajectory = fit(model, dataset)
    clean_x, clean_y, last = dataset.test.x, dataset.test.y, trajectory.thetas[-1]
    settings = {"batch_size": 64, "hydra": {"window": "full", "segment": 100}, "tracin": {"checkpoints": 3}}
    for name in ("tracin", "hydra", "hydra_free"):
        estimator = registry.build(name, settings, model, last, dataset.train.x, dataset.train.y, trajectory=trajectory)
        summed = estimator.change_of_summed_loss(clean_x, clean_y)
        np.testing.assert_allclose(summed, estimator.change_if_removed(clean_x, clean_y).sum(axis=0), rtol=1e-10)
        if name == "hydra":
            eps = 1e-4
            for i in (1, 5):
                up, down = (weighted_run(model, dataset, {i: 1 + sign * eps}) for sign in (1, -1))
                numeric = (model.losses(up, clean_x, clean_y).sum() - model.losses(down, clean_x, clean_y).sum()) / (
                    2 * eps
                )
                assert summed[i] == pytest.approx(-numeric, rel=1e-4), i


@pytest.mark.parametrize("hessian_aware", [True, False])
def test_one_sweep_for_many_directions_equals_a_sweep_per_direction(hessian_aware):
    model, dataset = tiny()
    _, _, _, trajectory = fit(model, dataset)
    directions = np.random.default_rng(4).standard_normal((3, model.n_params))
    x, y = dataset.train.x, dataset.train.y
    together = hydra.sensitivities(model, trajectory, x, y, directions, hessian_aware)
    in_chunks = hydra.sensitivities(model, trajectory, x, y, directions, hessian_aware, per_call=2)
    np.testing.assert_allclose(in_chunks, together, rtol=1e-10, atol=1e-14)
    one_by_one = [hydra.sensitivities(model, trajectory, x, y, d, hessian_aware) for d in directions]
    np.testing.assert_allclose(together, np.stack(one_by_one), rtol=1e-10, atol=1e-14)


def test_many_test_points_with_their_own_objectives_in_one_pass_or_sweep():
    """TracIn (one pass over the checkpoints) and HYDRA (one sweep) for test points with different objectives, as an
    experiment's one influence job asks, equal each test point's prediction made alone."""
    from influential.testpoints import cross_loss
    from influential.testpoints.objectives import Objective

    model, dataset = tiny()
    _, _, _, trajectory = fit(model, dataset)
    # the losses (first and third) are differentiated as one batch, the others one by one
    specs = [
        {"kind": "cross_entropy"},
        {"kind": "margin"},
        {"kind": "cross_entropy"},
        {"kind": "probability", "class": 2},
    ]
    bound = [cross_loss.bind(Objective.from_config(spec), model, dataset) for spec in specs]
    examples = [(dataset.test.x[[i]], dataset.test.y[[i]]) for i in (1, 0, 0, 1)]
    settings = {"batch_size": 64, "hydra": {"window": "full", "segment": 100}, "tracin": {"checkpoints": 3}}
    for name in ("tracin", "hydra"):
        estimator = registry.build(
            name, settings, model, trajectory.thetas[-1], dataset.train.x, dataset.train.y, trajectory=trajectory
        )
        together = estimator.change_for_objectives(bound, examples)
        assert len(estimator.diagnostics) == len(specs)  # one record per test point, as the job writes them
        alone = [estimator.change_if_removed(x, y, o)[0] for o, (x, y) in zip(bound, examples, strict=True)]
        np.testing.assert_allclose(together, np.stack(alone), rtol=1e-10, atol=1e-14)


def test_hydra_self_influence_is_minus_the_derivative_of_a_points_own_loss_by_its_weight():
    """HYDRA's `self` ranking (the diagonal of one sweep along every training gradient) against central differences
    of a training point's own loss after Adam runs weighting it up and down; Hessian-free against its own sweep for
    that point alone."""
    model, dataset = tiny()
    _, _, _, trajectory = fit(model, dataset)
    x, y, last = dataset.train.x, dataset.train.y, trajectory.thetas[-1]
    settings = {"batch_size": 64, "hydra": {"window": "full", "segment": 100}}
    aware, free = (
        registry.build(name, settings, model, last, x, y, trajectory=trajectory) for name in ("hydra", "hydra_free")
    )
    own, own_free = aware.self_influence(), free.self_influence()
    eps = 1e-4
    for i in (1, 5):
        up, down = (weighted_run(model, dataset, {i: 1 + sign * eps}) for sign in (1, -1))
        numeric = (model.losses(up, x[[i]], y[[i]])[0] - model.losses(down, x[[i]], y[[i]])[0]) / (2 * eps)
        assert own[i] == pytest.approx(-numeric, rel=1e-4), i
        assert own_free[i] == pytest.approx(free.change_if_removed(x[[i]], y[[i]])[0, i], rel=1e-10), i
