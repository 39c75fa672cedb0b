"""Minibatch Adam for one model or many stacked ones: TensorFlow 1's update (as Koh & Liang trained with), the
seeded minibatch stream, and the one loop that training (one model, nothing left out) and leave-one-out retraining
(K models, each with its own point left out) both run."""

from collections.abc import Callable, Iterator

import numpy as np
import tensorflow as tf

from influential.core.errors import InputError
from influential.training.optimizer import AdamState

NOTHING_LEFT_OUT = -1  # the left-out position of a model that keeps every point (training, the control)
CPU_EXAMPLES_PER_CALL = 2000  # see models_per_call


def adam_update(theta, m, v, step, gradient, learning_rate):
    """One TF1-style Adam update; works on a flat vector or a stack of them. `step` counts completed updates."""
    b1, b2, eps = AdamState.BETA1, AdamState.BETA2, AdamState.EPSILON
    t = tf.cast(step + 1, theta.dtype)
    m = b1 * m + (1 - b1) * gradient
    v = b2 * v + (1 - b2) * tf.square(gradient)
    rate = learning_rate * tf.sqrt(1 - b2**t) / (1 - b1**t)
    return theta - rate * m / (tf.sqrt(v) + eps), m, v


def minibatches(n: int, batch_size: int, seed: int) -> Iterator[np.ndarray]:
    """Endless minibatch indices: a fresh permutation per epoch, a short remainder dropped (as Koh's DataSet)."""
    if batch_size > n:
        raise InputError(f"batch_size {batch_size} is larger than the {n} training examples")
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(n)
        for start in range(0, n - batch_size + 1, batch_size):
            yield order[start : start + batch_size]


def models_per_call(k: int, batch_size: int) -> int:
    """How many of k models one training step stacks into one call. A GPU takes them all. On a CPU, many models'
    activations at once outgrow the caches (batch 500: 16 models per call ran 16.0 model-steps/s against 18.6 one
    at a time), so a call holds about CPU_EXAMPLES_PER_CALL model-examples and a step runs several calls."""
    if tf.config.list_physical_devices("GPU"):
        return k
    return max(1, min(k, CPU_EXAMPLES_PER_CALL // batch_size))


def stacked_losses(model, thetas: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Per-example losses of K models, shape (K, n)."""
    t = tf.constant(thetas)
    if not len(y):
        return np.zeros((len(thetas), 0), dtype=thetas.dtype)
    return np.concatenate(
        [
            model.stacked_losses(t, x[i : i + batch_size], y[i : i + batch_size]).numpy()
            for i in range(0, len(y), batch_size)
        ],
        axis=1,
    )


def stacked_step(model):
    """A compiled Adam step of K models on one minibatch of (x_all, y_all), model k's left-out positions (left_out[k]:
    one, or a row padded with NOTHING_LEFT_OUT) masked out of its mean loss; returns the new parameters and moments
    and the gradient each model stepped along."""

    @tf.function
    def step(thetas, m, v, t, x_all, y_all, batch, left_out, rate):
        xb, yb = tf.gather(x_all, batch), tf.gather(y_all, batch)
        removed = tf.reshape(left_out, (tf.shape(left_out)[0], -1))  # (K, m)
        keep = tf.cast(tf.reduce_all(batch[None, :, None] != removed[:, None, :], axis=2), thetas.dtype)  # (K, B)
        with tf.GradientTape() as tape:
            tape.watch(thetas)
            losses = model.stacked_losses(thetas, xb, yb)
            # a minibatch wholly left out (possible for a large set) contributes the regulariser only
            objective = tf.reduce_sum(keep * losses, axis=1) / tf.maximum(tf.reduce_sum(keep, axis=1), 1.0)
            total = tf.reduce_sum(objective + model.stacked_regularizer(thetas))
        gradient = tape.gradient(total, thetas)
        return (*adam_update(thetas, m, v, t, gradient, rate), gradient)

    return step


def run(
    model,
    thetas: np.ndarray,
    state: AdamState,
    x: np.ndarray,
    y: np.ndarray,
    left_out: np.ndarray,
    batch_size: int,
    seed: int,
    steps: int,
    rate_at: Callable[[int], float],
    report: Callable[[int, AdamState, np.ndarray], None] | None = None,
    every: int = 0,
) -> tuple[np.ndarray, AdamState]:
    """Continue K models (thetas and the state's m, v: (K, n_params)) for `steps` Adam updates on the mean loss +
    regulariser over minibatches of (x, y) drawn with `seed`.

    Every model sees the same minibatches; model k's training positions left_out[k] (one position, or a row of
    them padded with NOTHING_LEFT_OUT; NOTHING_LEFT_OUT alone: none) are masked out of its mean. The update after
    t completed updates uses rate_at(t). Every `every` updates and after the last, report(completed updates, the
    current state, thetas) is called (to log, record, or stop by raising).
    """
    left_out = np.asarray(left_out, dtype=np.int64)
    size = models_per_call(len(left_out), batch_size)
    cut = range(size, len(left_out), size)
    groups = [
        tuple(tf.constant(part) for part in parts)
        for parts in zip(*(np.array_split(a, cut) for a in (thetas, state.m, state.v, left_out)), strict=True)
    ]
    step = stacked_step(model)
    x_all, y_all = tf.constant(x), tf.constant(y)
    batches = minibatches(len(y), batch_size, seed)
    last = state.step + steps
    for done in range(state.step, last):
        rate, t, batch = tf.constant(rate_at(done), thetas.dtype), tf.constant(done), tf.constant(next(batches))
        groups = [(*step(th, m, v, t, x_all, y_all, batch, out, rate)[:3], out) for th, m, v, out in groups]
        if report is not None and every and ((done + 1 - state.step) % every == 0 or done + 1 == last):
            report(done + 1, *_gathered(groups, done + 1))
    state, thetas = _gathered(groups, last)
    return thetas, state


def _gathered(groups, step: int) -> tuple[AdamState, np.ndarray]:
    thetas, m, v = (np.vstack([group[i].numpy() for group in groups]) for i in range(3))
    return AdamState(m, v, step), thetas
