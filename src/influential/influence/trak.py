"""TRAK (Park et al. 2023): each training point's effect through a random projection of the per-example gradients
of the model's output function, with the after-kernel weighting, averaged over an ensemble of models.

Per model (parameters theta, projection P: n_params x k, Gaussian, seeded), with f(z) = log(p / (1 - p)) of z's
correct class, phi_i = P^T grad f(z_i) stacked as Phi (n x k) and q_i = 1 - p_i:

    the effect of including training point i on a test objective F:  grad F^T P (Phi^T Phi)^-1 phi_i q_i

(the paper's tau with F = f; a pseudo-inverse where Phi^T Phi is singular; `damping` lambda adds lambda I to it, as
a regulariser's curvature would), averaged over the models. We answer as
every estimator does, the predicted change of F if i is left OUT: minus that. The test side takes the objective's
own gradient (the loss by default), which for a binary model is -(1 - p) grad f, so the loss's answer is the paper's
tau scaled by (1 - p) per test point. With k = n_params, one model and q = 1 it is an influence function with the
Gauss-Newton Hessian of f, sum_i grad f_i grad f_i^T (tested). Ensemble members beyond the trained model are trained
from scratch with training's settings and seeds training.seed + 1, ... (Adam-trained models); a logistic regression's
fit is unique, so its members differ in their projections only.
"""

import logging
import time

import numpy as np

from influential.core import names
from influential.derivatives import gradients
from influential.influence.functions import objective_gradients, objective_or_loss
from influential.testpoints.cross_loss import BoundObjective

# What the workflow caches for TRAK, read by role (influence.inputs): nothing, it reads the data and the model
LOADERS: dict = {}

log = logging.getLogger(__name__)


def log_odds(logits, y):
    """f = log(p / (1 - p)) of each example's label from its logits (a binary model's one logit: class 1 against
    class 0), the true class's logit minus the log-sum-exp of the others."""
    import tensorflow as tf

    if len(logits.shape) == 1:
        logits = tf.stack([tf.zeros_like(logits), logits], axis=1)
    true = tf.one_hot(tf.cast(y, tf.int32), tf.shape(logits)[1], dtype=logits.dtype) > 0
    others = tf.where(true, tf.constant(-np.inf, logits.dtype), logits)
    return tf.boolean_mask(logits, true) - tf.reduce_logsumexp(others, axis=1)


def output_gradients(
    model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int, formula: bool = True
) -> np.ndarray:
    """Per-example gradients of f = log(p / (1 - p)) of each example's label, (n, n_params): by the model's formula
    where it has one and `formula` (logistic regression's closed form, the all-CNN's batched `batch_gradients`), else
    by TensorFlow's jacobian (which loops over a convolution's filter gradient)."""
    if formula and hasattr(model, "log_odds_gradients"):
        return model.log_odds_gradients(theta, x, y)
    import tensorflow as tf

    t, rows = tf.constant(theta), []
    for start in range(0, len(y), batch_size):
        xb, yb = tf.constant(x[start : start + batch_size]), tf.constant(y[start : start + batch_size])
        if formula and hasattr(model, "batch_gradients"):
            rows.append(model.batch_gradients(t, xb, yb, log_odds).numpy())
            continue
        with tf.GradientTape() as tape:
            tape.watch(t)
            f = log_odds(model.logits(t, xb), yb)
        rows.append(tape.jacobian(f, t).numpy())
    return np.concatenate(rows)


class TrakInfluence:
    """TRAK over an ensemble of parameter vectors (`thetas`, the trained model's first), `projection_dim` dimensions
    each, projections seeded by `seed` + member, `damping` added to each kernel's diagonal."""

    name = names.TRAK

    def __init__(
        self,
        model,
        thetas: list,
        x_train,
        y_train,
        projection_dim: int,
        seed: int,
        batch_size: int,
        damping: float = 0.0,
    ):
        self.model, self.thetas, self.batch_size = model, [np.asarray(t) for t in thetas], batch_size
        self.damping = damping
        started = time.perf_counter()
        self.members = [
            self._member(theta, x_train, y_train, projection_dim, seed + m) for m, theta in enumerate(self.thetas)
        ]
        self.setup_seconds = time.perf_counter() - started
        self.x_train, self.y_train = x_train, y_train
        self.diagnostics: list[dict] = []

    def _member(self, theta, x, y, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """One model's projection P (n_params, k) and weights W (n, k), row i = q_i (Phi^T Phi)^-1 phi_i, so that the
        effect of including i on F is (grad F^T P) . W_i."""
        projection = np.random.default_rng(seed).standard_normal((self.model.n_params, k)) / np.sqrt(k)
        phi = output_gradients(self.model, theta, x, y, self.batch_size) @ projection
        q = 1 - np.exp(-self.model.losses(theta, x, y))  # 1 - p of the correct class
        kernel = np.linalg.pinv(phi.T @ phi + self.damping * np.eye(k), hermitian=True)
        return projection, (phi @ kernel) * q[:, None]

    def _change(self, test_gradients_at) -> np.ndarray:
        """Minus the ensemble's mean effect of including each training point, (k, n), from the test gradients at each
        member's parameters (`test_gradients_at(theta)`, rows)."""
        started, total = time.perf_counter(), 0.0
        for theta, (projection, weights) in zip(self.thetas, self.members, strict=True):
            total = total - (test_gradients_at(theta) @ projection) @ weights.T
        change = total / len(self.members)
        seconds = time.perf_counter() - started
        log.info("trak: %d models, %d directions in %.1f s (setup %.1f s)", len(self.members), len(change), seconds,
                 self.setup_seconds)  # fmt: skip
        self.diagnostics = [{"estimator": self.name, "seconds": seconds / len(change), "models": len(self.members)}]
        self.diagnostics *= len(change)
        return change

    def change_if_removed(self, x_test: np.ndarray, y_test: np.ndarray, objective: BoundObjective | None = None):
        bound = objective_or_loss(self.model, objective)
        return self._change(lambda theta: bound.gradients(theta, x_test, y_test, self.batch_size))

    def change_for_objectives(self, objectives: list[BoundObjective], examples: list) -> np.ndarray:
        return self._change(lambda theta: objective_gradients(theta, objectives, examples, self.batch_size))

    def change_of_summed_loss(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Predicted change of the summed loss of (x, y) when each training point is left out, (n_train,)."""
        loss = objective_or_loss(self.model, None)
        return self._change(lambda theta: loss.gradients(theta, x, y, self.batch_size).sum(axis=0)[None])[0]

    def self_influence(self) -> np.ndarray:
        """Each training point's predicted change of its own loss if it were left out: the diagonal, per member the
        rows of the projected loss gradients against the weights."""
        total = np.zeros(len(self.y_train))
        for theta, (projection, weights) in zip(self.thetas, self.members, strict=True):
            own = gradients.per_example_gradients(self.model, theta, self.x_train, self.y_train, self.batch_size)
            total -= np.einsum("ij,ij->i", own @ projection, weights)
        return total / len(self.members)


def ensemble(model, theta: np.ndarray, x_train, y_train, settings: dict) -> list[np.ndarray]:
    """The ensemble's parameters: the trained model's, and for an Adam-trained model `trak.models - 1` more trained
    from scratch with training's settings (`schedule`) and seeds training.seed + 1, ...; a logistic regression's fit
    is unique, so it is repeated (its members differ in their projections)."""
    count = settings[names.TRAK]["models"]
    if model.kind == names.LOGISTIC_REGRESSION or count == 1:
        return [theta] * count
    from influential.data.splits import Dataset, Split
    from influential.training.fit import fit_adam_from_scratch

    train = Split(x_train, y_train, np.arange(len(y_train)))
    data, schedule = Dataset(train, train.take(np.arange(0)), train.take(np.arange(0)), meta={}), settings["schedule"]
    return [theta] + [
        fit_adam_from_scratch(model, data, schedule, schedule["seed"] + member)[0] for member in range(1, count)
    ]


def build(name: str, settings: dict, model, theta: np.ndarray, x_train: np.ndarray, y_train: np.ndarray):
    """TRAK from the settings it uses: `batch_size`, its section `trak` (projection_dim, models, seed, damping) and,
    for an ensemble of Adam-trained models, training's settings (`schedule`)."""
    trak = settings[names.TRAK]
    thetas = ensemble(model, theta, x_train, y_train, settings)
    return TrakInfluence(
        model, thetas, x_train, y_train, trak["projection_dim"], trak["seed"], settings["batch_size"], trak["damping"]
    )
