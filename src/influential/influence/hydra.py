"""HYDRA (Chen et al., AAAI 2021): how much an Adam run's end point moves when one training point's weight in the
minibatch means changes, by differentiating every update of the run.

Give example i a weight w_i in each minibatch objective G_t = sum_B w_j loss_j / sum_B w_j + R (the mean that
leave-one-out retraining takes over the points it keeps: w_i = 0 is the retrained model). With h = d theta / d w_i,
and Adam's update theta' = theta - a_t m' / (sqrt(v') + eps), a_t = rate sqrt(1 - b2^t') / (1 - b1^t'):

    dG  = H_t h + 1[i in B_t] (g_i - mean_B g) / b          (H_t: Hessian of G_t, the regulariser's included)
    dm' = b1 dm + (1 - b1) dG
    dv' = b2 dv + 2 (1 - b2) G_t * dG
    h'  = h - a_t (dm' / (sqrt(v') + eps) - m' * dv' / (2 sqrt(v') (sqrt(v') + eps)^2))

"Hessian-free" HYDRA keeps only the regulariser's part of H_t (its weight decay). The recursion is linear in
(h, dm, dv) with coefficients that do not depend on i, so for a direction u (e.g. minus a test gradient) the scores
u . h_i,T of every training point come from one backward (adjoint) sweep, and for k directions from one sweep too:
per step k minibatch Hessian-vector products (none for Hessian-free) and the minibatch's per-example losses
differentiated along each direction (forward mode, vectorised over the k: no per-example gradient is formed, so
millions of parameters, a Skip-gram's, cost no more; Hessian-free, a model with a fast per-example gradient
formula, the all-CNN's, gets them from one matrix product instead). The sweep walks the trajectory segment by
segment from its last record back, replaying each segment forward first, so memory holds one segment.
"""

import logging
import time

import numpy as np
import tensorflow as tf

from influential.core import names
from influential.derivatives import gradients
from influential.influence.functions import objective_gradients, objective_or_loss
from influential.loo.retrain import RetrainSettings
from influential.testpoints.cross_loss import BoundObjective
from influential.training.optimizer import AdamSettings, AdamState
from influential.training.replay import replay, walk
from influential.training.trajectory import Trajectory

log = logging.getLogger(__name__)

# Directions whose Hessian-vector products one call vectorises: each holds its own activations of the minibatch
DIRECTIONS_PER_CALL = 64


def _slopes_by_product(model, hessian_aware: bool) -> bool:
    """Hessian-free, a model with a fast per-example gradient formula (the all-CNN's) gets every direction's slopes
    from one matrix product: TensorFlow vectorises a convolution's forward mode over filter tangents with a loop."""
    return not hessian_aware and hasattr(model, "batch_gradients")


def _backward_step(model, hessian_aware: bool):
    b1, b2, eps = AdamState.BETA1, AdamState.BETA2, AdamState.EPSILON
    by_product = _slopes_by_product(model, hessian_aware)

    @tf.function
    def back(theta, m, v, gradient, rate, t, x_all, y_all, batch, lh, lm, lv):
        """Adjoints (lh, lm, lv) of (h, dm, dv) after step t, carried to before it, for k directions at once (rows,
        (k, n_params)); and each minibatch example's share of each direction's sensitivity at this step, (k, B)."""
        xb, yb = tf.gather(x_all, batch), tf.gather(y_all, batch)
        done = tf.cast(t + 1, theta.dtype)
        alpha = rate * tf.sqrt(1 - b2**done) / (1 - b1**done)
        s = tf.sqrt(v)
        mu_m = lm - alpha * lh / (s + eps)
        mu_v = lv + alpha * lh * tf.math.divide_no_nan(m, 2 * s * (s + eps) ** 2)
        d_gradient = (1 - b1) * mu_m + 2 * (1 - b2) * gradient * mu_v  # the adjoint of dG

        def along(direction, slopes: bool):
            """The objective's Hessian-vector product along one direction, and (`slopes`) each example's loss
            gradient along it by forward mode (no per-example gradient formed)."""
            with tf.autodiff.ForwardAccumulator(theta, direction) as acc:
                with tf.GradientTape() as tape:
                    tape.watch(theta)
                    losses = model.loss(theta, xb, yb) if hessian_aware or slopes else None
                    objective = model.regularizer(theta)
                    if hessian_aware:
                        objective += tf.reduce_mean(losses)
                objective_gradient = tape.gradient(objective, theta)
            return (acc.jvp(objective_gradient), acc.jvp(losses)) if slopes else acc.jvp(objective_gradient)

        if by_product:  # every direction's slopes in one product with the minibatch's per-example gradients
            products = tf.vectorized_map(lambda direction: along(direction, False), d_gradient)
            slopes = tf.matmul(d_gradient, model.batch_gradients(theta, xb, yb), transpose_b=True)
        else:  # the slopes come with the Hessian-vector product's forward pass
            products, slopes = tf.vectorized_map(lambda direction: along(direction, True), d_gradient)
        share = (slopes - tf.reduce_mean(slopes, axis=1, keepdims=True)) / tf.cast(tf.size(batch), theta.dtype)
        return lh + products, b1 * mu_m, b2 * mu_v, share

    return back


def sensitivities(
    model,
    trajectory: Trajectory,
    x: np.ndarray,
    y: np.ndarray,
    directions: np.ndarray,
    hessian_aware: bool,
    per_call: int | None = None,
) -> np.ndarray:
    """direction . d theta_last / d w_i for every training point i and every row of `directions` (k, n_params), or
    for one direction (n_params,), over the trajectory from its first record to its last (theta_last: the last
    record's parameters): one backward sweep for all of them, each step's products `per_call` directions at a time
    (default: DIRECTIONS_PER_CALL where the slopes come by forward mode, which holds every direction's activations;
    all at once where they come from one matrix product)."""
    back = _backward_step(model, hessian_aware)
    x_all, y_all = tf.constant(x), tf.constant(y)
    dtype = trajectory.thetas.dtype
    adjoints = np.atleast_2d(directions).astype(dtype)
    if per_call is None:
        per_call = len(adjoints) if _slopes_by_product(model, hessian_aware) else DIRECTIONS_PER_CALL
    starts = range(0, len(adjoints), per_call)
    # the adjoints (lh, lm, lv) of each chunk of directions
    chunks = [
        (tf.constant(adjoints[i : i + per_call]), *[tf.zeros_like(adjoints[i : i + per_call])] * 2) for i in starts
    ]
    total = np.zeros((len(adjoints), len(y)))
    for record in reversed(range(len(trajectory.steps) - 1)):
        updates = list(
            replay(model, trajectory, x, y, record, int(trajectory.steps[record + 1] - trajectory.steps[record]))
        )
        drift = np.abs(updates[-1].theta_next.numpy() - trajectory.thetas[record + 1]).max()
        if drift > 1e-4 * max(1.0, np.abs(trajectory.thetas[record + 1]).max()):
            log.warning("replay of steps %d-%d ends %.2g away from the record", updates[0].t, updates[-1].t + 1, drift)
        for update in reversed(updates):
            state = (update.theta, update.m_next, update.v_next, update.gradient, tf.constant(update.rate, dtype))
            batch = update.batch.numpy()
            for c, start in enumerate(starts):
                lh, lm, lv, share = back(*state, tf.constant(update.t), x_all, y_all, update.batch, *chunks[c])
                chunks[c] = (lh, lm, lv)
                total[start : start + per_call, batch] += share.numpy()  # a minibatch holds each example once
    return total if np.ndim(directions) == 2 else total[0]


class HydraInfluence:
    """HYDRA over a trajectory: the predicted loss change of leaving z out of every minibatch
    of the run, -g_test(theta_last) . d theta_last / d w_z, by one adjoint sweep for all test points (per step,
    their Hessian-vector products batched). Hessian-aware (`hydra`) carries the minibatch Hessian; Hessian-free
    (`hydra_free`) only the weight decay's."""

    def __init__(
        self,
        model,
        x_train,
        y_train,
        trajectory: Trajectory,
        hessian_aware: bool,
        batch_size: int = gradients.BATCH_SIZE,
    ):
        self.model, self.x_train, self.y_train, self.trajectory = model, x_train, y_train, trajectory
        self.hessian_aware, self.batch_size = hessian_aware, batch_size
        self.name = names.HYDRA if hessian_aware else names.HYDRA_FREE
        self.diagnostics: list[dict] = []

    def change_if_removed(self, x_test: np.ndarray, y_test: np.ndarray, objective: BoundObjective | None = None):
        bound = objective_or_loss(self.model, objective)
        return self.change_for_gradients(bound.gradients(self.trajectory.thetas[-1], x_test, y_test, self.batch_size))

    def all_pairs(self, x_test: np.ndarray, y_test: np.ndarray) -> np.ndarray:
        """Every (test, training) pair of the test examples' losses, float32: one sweep for all test points."""
        return self.change_if_removed(x_test, y_test).astype(np.float32)

    def self_influence(self) -> np.ndarray:
        """Each training point's predicted change of its own loss if it were left out of every minibatch: the
        diagonal of the all-pairs matrix of the training points' losses, one sweep along all their gradients."""
        return np.diag(self.change_if_removed(self.x_train, self.y_train))

    def change_for_objectives(self, objectives: list[BoundObjective], examples: list) -> np.ndarray:
        """Predicted change of each test objective on its examples (pairs (x, y)) when each training point is left
        out, (k, n_train): their gradients at the window's end, one sweep for all."""
        last = self.trajectory.thetas[-1]
        return self.change_for_gradients(objective_gradients(last, objectives, examples, self.batch_size))

    def change_of_summed_loss(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Predicted change of the summed loss of (x, y) when each training point is left out, (n_train,): one
        sweep along the summed gradient (HYDRA's own ranking of harmful points, up to its sign and 1/N)."""
        loss = objective_or_loss(self.model, None)
        summed = loss.gradients(self.trajectory.thetas[-1], x, y, self.batch_size).sum(axis=0)
        return self.change_for_gradients(summed[None])[0]

    def change_for_gradients(self, test_gradients: np.ndarray) -> np.ndarray:
        """The predicted change of each objective whose gradients (at the trajectory's last parameters) are the rows
        of `test_gradients` when each training point is left out, (k, n_train): one sweep for all k."""
        started = time.perf_counter()
        change = sensitivities(
            self.model, self.trajectory, self.x_train, self.y_train, -np.asarray(test_gradients), self.hessian_aware
        )
        seconds, window = time.perf_counter() - started, [self.trajectory.first, int(self.trajectory.steps[-1])]
        log.info("%s: steps %d-%d walked back in %.1f s for %d directions", self.name, *window, seconds, len(change))
        per_point = {"estimator": self.name, "seconds": seconds / len(change), "window": window}
        self.diagnostics = [per_point] * len(change)
        return change


def build(name: str, settings: dict, model, x_train: np.ndarray, y_train: np.ndarray, *, trajectory: Trajectory):
    """`hydra` (Hessian-aware) or `hydra_free` from the settings it uses: `batch_size`, its section `hydra`, and over
    the retraining window (`hydra.window: retrain`) the leave-one-out settings (`retrain`) and the training schedule
    (`schedule`): the window is the leave-one-out control's, walked from training's end."""
    if settings["hydra"]["window"] == "retrain":
        control = RetrainSettings.from_config(settings["retrain"]).control(
            model, *trajectory.state(-1), AdamSettings.from_config(settings["schedule"])
        )
        trajectory = walk(model, control, x_train, y_train, settings["hydra"]["segment"])
    return HydraInfluence(model, x_train, y_train, trajectory, name == names.HYDRA, settings["batch_size"])
