"""Cross-loss influence on a Gaussian mixture (REFERENCE.md, "Cross-loss influence"): the model
(models.gaussian_mixture) fitted to the exact optimum of its training objective, refitted without each training
point, and the predicted change of every point's -log p(class | x), through the same Hessian, factorisation and
estimator as every other model (influence.functions.ExactInfluence).

Leaving z out keeps the other points' weights (as scikit-learn's C does for logistic regression):

    J_w(theta) = (1/n) sum_i w_i r_i(theta) + l2/2 |theta|^2,    w_i = 1, and w_z = 0 to leave z out,

so theta_-z - theta ~ (1/n) H^-1 grad r_z and the predicted change of a test objective f is
(1/n) grad f^T H^-1 grad r_z. scipy's trust-exact minimises with the exact Hessian.
"""

import numpy as np
import scipy.linalg
import scipy.optimize
from sklearn.mixture import GaussianMixture as ExpectationMaximisation

from influential.core.errors import InputError
from influential.core.names import UNSUPERVISED
from influential.influence.functions import ExactInfluence
from influential.models.gaussian_mixture import GaussianMixture

NEWTON_STEPS = 10  # after the trust region: quadratic convergence needs 2-4


def model_of(data: dict, training: str, l2: float) -> GaussianMixture:
    """The mixture of a data file's arrays (x, y and one mean per cluster, hence per component)."""
    return GaussianMixture.for_data(data["x"], data["y"], len(data["means"]), training, l2)


class WeightedObjective:
    """J_w, its gradient and Hessian through the model interface; weights other than 1 on a few points only (a
    point left out or down-weighted), each of which subtracts its own share from the full sums."""

    def __init__(self, model, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None):
        self.model, self.x, self.y, self.n = model, x, y, len(y)
        weights = np.ones(self.n) if weights is None else np.asarray(weights, dtype=np.float64)
        self.changed = np.flatnonzero(weights != 1.0)
        self.shares = (1.0 - weights[self.changed]) / self.n  # what each of them takes away

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        model, changed = self.model, self.changed
        losses = model.losses(theta, self.x, self.y)
        gradients = model.per_example_gradients(theta, self.x, self.y, self.n)
        value = losses.mean() - self.shares @ losses[changed] + model.regularizer_value(theta)
        gradient = gradients.mean(0) - self.shares @ gradients[changed] + model.regularizer_gradient(theta)
        return float(value), gradient

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        model, x, y = self.model, self.x, self.y
        h = model.loss_hessian(theta, x, y, self.n) + model.regularizer_hessian(theta)
        for position, share in zip(self.changed, self.shares, strict=True):
            h -= share * model.loss_hessian(theta, x[[position]], y[[position]], 1)
        return h


def minimise(objective: WeightedObjective, start: np.ndarray, gtol: float = 1e-10, max_iter: int = 200):
    """A minimum of the objective from `start`, and the Newton steps it took. Trust-region steps with the exact
    Hessian (scipy's trust-exact) until the gradient is below 1e-6, then plain Newton steps: that close, J changes
    by less than its rounding error, which a trust region cannot judge, while the gradient still shrinks
    quadratically."""
    near = max(gtol, 1e-6)
    result = scipy.optimize.minimize(
        objective,
        start,
        jac=True,
        hess=objective.hessian,
        method="trust-exact",
        options={"gtol": near, "maxiter": max_iter},
    )
    theta, steps = result.x, result.nit
    _, gradient = objective(theta)
    for _ in range(NEWTON_STEPS if np.abs(gradient).max() <= near else 0):
        if np.abs(gradient).max() <= gtol:
            break
        theta = theta - np.linalg.lstsq(objective.hessian(theta), gradient)[0]
        _, gradient = objective(theta)
        steps += 1
    largest = np.abs(gradient).max()
    if not largest <= gtol:
        raise InputError(
            f"mixture {objective.model.training}: the fit did not reach gradient {gtol:g} in {steps} Newton steps "
            f"(largest |gradient| {largest:.3g}); raise fit.gtol or l2"
        )
    return theta, steps


def fit(model, x: np.ndarray, y: np.ndarray, seed: int, n_init: int, gtol: float) -> tuple[np.ndarray, dict]:
    """The fitted parameters (components in the order of the classes) and a record of the fit.

    Unsupervised: EM from scikit-learn (n_init starts), its components matched to the classes by the Hungarian
    assignment of their means to the class means (EM does not know the labels, so its order is arbitrary), then
    Newton steps to the exact optimum (EM's own tolerance is on the likelihood, and it adds reg_covar to the
    covariances). Matched: from each class's own mean, covariance and share.
    """
    k = model.n_components
    class_means = np.stack([x[y == c].mean(0) for c in range(k)])
    if model.training == UNSUPERVISED:
        em = ExpectationMaximisation(
            k, covariance_type="full", tol=1e-10, max_iter=1000, n_init=n_init, random_state=seed
        )
        em.fit(x)
        distances = np.linalg.norm(class_means[:, None] - em.means_[None], axis=2)
        order = scipy.optimize.linear_sum_assignment(distances)[1]
        start = model.pack(em.means_[order], em.precisions_cholesky_[order], em.weights_[order])
        record = {"em_iterations": int(em.n_iter_), "em_order": order.tolist()}
    else:
        # scikit-learn's precision Cholesky factor: the inverse of the covariance's lower Cholesky factor, transposed
        covariances = [np.cov(x[y == c].T, bias=True) for c in range(k)]
        identity = np.eye(model.dim)
        factors = [scipy.linalg.solve_triangular(np.linalg.cholesky(s), identity, lower=True).T for s in covariances]
        start = model.pack(class_means, np.stack(factors), np.bincount(y, minlength=k) / len(y))
        record = {}
    objective = WeightedObjective(model, x, y)
    theta, iterations = minimise(objective, start, gtol=gtol)
    value, gradient = objective(theta)
    return theta, record | {
        "model": model.training,
        "l2": model.l2,
        "newton_iterations": iterations,
        "objective": value,
        "gradient_max_abs": float(np.abs(gradient).max()),
    }


def influence(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predicted change of every point's -log p(y | x) (rows) if each training point (columns) is left out, test x
    train as every influence matrix here, and the Hessian's eigenvalues."""
    estimator = ExactInfluence(model, theta, x, y)
    factorised = estimator.factorised
    if not factorised.positive_definite:
        raise InputError(
            f"mixture {model.training}: the Hessian at the fit is not positive definite (smallest eigenvalue "
            f"{factorised.eigenvalues[0]:.3g}): the fit is not a strict minimum; raise l2"
        )
    return estimator.matrix(model.posterior_gradients(theta, x, y)), factorised.eigenvalues


def shifted_influence(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The prediction evaluated shifted (as Brunet et al. evaluate theirs): every point's -log p(y | x) recomputed
    at the parameters leaving each training point out is predicted to give, theta + (1/n) H^-1 grad r_z, minus its
    value at theta (test x train, as `influence`)."""
    estimator = ExactInfluence(model, theta, x, y)
    moves = estimator.factorised.solve(estimator.removal.T) / len(y)
    before = model.posterior_losses(theta, x, y)
    return np.stack([model.posterior_losses(theta + move, x, y) - before for move in moves.T], axis=1)


def leave_one_out(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, gtol: float):
    """Exact leave-one-out: for each training point z, J without z minimised from theta; the change of every point's
    -log p(y | x) (rows: test points, columns: the left-out z), the refitted parameters and each refit's Newton
    steps."""
    before = model.posterior_losses(theta, x, y)
    changes, refits, iterations = [], [], []
    for z in range(len(y)):
        weights = np.ones(len(y))
        weights[z] = 0.0
        refit, steps = minimise(WeightedObjective(model, x, y, weights), theta, gtol=gtol)
        changes.append(model.posterior_losses(refit, x, y) - before)
        refits.append(refit)
        iterations.append(steps)
    return np.stack(changes, axis=1), np.stack(refits), np.array(iterations)
