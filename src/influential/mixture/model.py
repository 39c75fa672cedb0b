"""Cross-loss influence on a Gaussian mixture: a training objective without labels, a test objective with them.

The cross-loss authors' synthetic demonstration (REFERENCE.md, "Cross-loss influence") with a fixed, smooth
training objective: a K-component, full-covariance Gaussian mixture fitted by maximum likelihood WITHOUT labels
(`unsupervised`), or, for the "matched" comparison, the same model fitted to the labels' conditional likelihood
(`matched`: training and test objective coincide). The test objective of a point is the negative log posterior
of its true component, -log p(y | x).

Parameters are unconstrained: the means, each component's precision Cholesky factor P (precision = P P^T, P upper
triangular: the log of its diagonal and its off-diagonal entries) and the mixing logits of components 2..K
(component 1's is fixed at 0); 17 for three 2-D components. The training objective is

    J(theta) = (1/n) sum_i w_i r_i(theta) + l2/2 |theta|^2,    w_i = 1, and w_z = 0 to leave z out,

so leaving a point out keeps the others' weights (as scikit-learn's C does for logistic regression) and
theta_-z - theta ~ (1/n) H^-1 grad r_z: the predicted change of a test objective f is (1/n) grad f^T H^-1 grad r_z.
TensorFlow differentiates in float64; scipy's trust-exact minimises with the exact Hessian.
"""

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.special
import tensorflow as tf
from sklearn.mixture import GaussianMixture

from influential.core.errors import InputError
from influential.core.names import MATCHED, MIXTURE_MODELS, UNSUPERVISED
from influential.derivatives.hessian import FactorisedHessian

NEWTON_STEPS = 10  # after the trust region: quadratic convergence needs 2-4


@dataclass(frozen=True)
class Layout:
    """Where each block of the parameter vector lives, for K components in d dimensions."""

    n_components: int
    dim: int

    @property
    def size(self) -> int:
        k, d = self.n_components, self.dim
        return k * d + k * d + k * d * (d - 1) // 2 + k - 1

    def pack(self, means: np.ndarray, precision_cholesky: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The parameter vector of a mixture given as scikit-learn holds it (upper-triangular P per component)."""
        upper = np.triu_indices(self.dim, 1)
        log_diagonal = np.log(np.stack([np.diag(p) for p in precision_cholesky]))
        off_diagonal = np.stack([p[upper] for p in precision_cholesky])
        logits = np.log(weights[1:]) - np.log(weights[0])
        return np.concatenate([means.ravel(), log_diagonal.ravel(), off_diagonal.ravel(), logits])

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Means (K, d), covariances (K, d, d) and mixing weights (K,)."""
        k, d = self.n_components, self.dim
        means, log_diagonal, off_diagonal, logits = np.split(theta, np.cumsum([k * d, k * d, k * d * (d - 1) // 2]))
        factors = np.zeros((k, d, d))
        factors[:, *np.diag_indices(d)] = np.exp(log_diagonal.reshape(k, d))
        factors[:, *np.triu_indices(d, 1)] = off_diagonal.reshape(k, -1)
        a = np.concatenate([[0.0], logits])
        covariances = np.linalg.inv(factors @ factors.transpose(0, 2, 1))
        return means.reshape(k, d), covariances, np.exp(a - scipy.special.logsumexp(a))

    def placement(self) -> np.ndarray:
        """The 0/1 matrix that puts [exp(log diagonal); off-diagonal] into the flattened factors (K*d*d)."""
        k, d = self.n_components, self.dim
        rows = [c * d * d + i * d + i for c in range(k) for i in range(d)]
        rows += [c * d * d + i * d + j for c in range(k) for i, j in zip(*np.triu_indices(d, 1), strict=True)]
        placement = np.zeros((k * d * d, len(rows)))
        placement[rows, np.arange(len(rows))] = 1.0
        return placement


class Mixture:
    """The mixture on one dataset: training losses r_i, test objectives f_i = -log p(y_i | x_i), their gradients,
    the Hessian of J, and fits of J from a starting point."""

    def __init__(self, x: np.ndarray, y: np.ndarray, n_components: int, model: str, l2: float):
        if model not in MIXTURE_MODELS:
            raise InputError(f"mixture model: {model!r} is not one of {', '.join(MIXTURE_MODELS)}")
        if model == MATCHED and not l2 > 0:
            # p(y | x) depends on the differences of the components' log densities only, so it is flat along any
            # change that adds the same quadratic to all of them (and, for separable clusters, has no minimum)
            raise InputError(f"mixture matched: l2 is {l2}; the conditional likelihood needs l2 > 0 to have a minimum")
        if x.ndim != 2 or len(x) != len(y):
            raise InputError(f"mixture data: x has shape {x.shape} and y {y.shape}; want (n, d) and (n,)")
        self.x, self.y, self.model, self.l2, self.n = x, y, model, float(l2), len(x)
        self.layout = Layout(n_components, x.shape[1])
        self._x = tf.constant(x, tf.float64)
        self._y = tf.constant(y, tf.int32)
        self._placement = tf.constant(self.layout.placement())
        self._value_and_gradient = tf.function(self._value_and_gradient_graph, reduce_retracing=True)
        self._hessian = tf.function(self._hessian_graph, reduce_retracing=True)
        self._jacobian = tf.function(self._jacobian_graph, reduce_retracing=True)

    @classmethod
    def on(cls, data: dict, model: str, l2: float) -> "Mixture":
        """The mixture of a data file's arrays (x, y and one mean per cluster, hence per component)."""
        return cls(data["x"], data["y"], len(data["means"]), model, l2)

    # -- the model ------------------------------------------------------------------------------------------------
    def _scores(self, theta):
        """log pi_k + log N(x_i; mu_k, Sigma_k) for every example and component (n, K)."""
        k, d = self.layout.n_components, self.layout.dim
        means = tf.reshape(theta[: k * d], (k, d))
        log_diagonal = tf.reshape(theta[k * d : 2 * k * d], (k, d))
        entries = tf.concat([tf.exp(tf.reshape(log_diagonal, [-1])), theta[2 * k * d : self.layout.size - k + 1]], 0)
        factors = tf.reshape(tf.linalg.matvec(self._placement, entries), (k, d, d))
        logits = tf.concat([tf.zeros(1, tf.float64), theta[self.layout.size - k + 1 :]], 0)
        z = tf.einsum("nkd,kde->nke", self._x[:, None, :] - means[None], factors)
        log_density = tf.reduce_sum(log_diagonal, 1) - 0.5 * tf.reduce_sum(z**2, 2) - 0.5 * d * np.log(2 * np.pi)
        return log_density + tf.nn.log_softmax(logits)

    def _test_objectives(self, theta):
        """-log p(y | x) per example, as softplus(logsumexp_{k != y}(s_k - s_y)): exact where p(y | x) is near 1,
        where log-sum-exp minus s_y would round to 0."""
        scores = self._scores(theta)
        own = tf.gather(scores, self._y, axis=1, batch_dims=1)
        others = tf.where(
            tf.one_hot(self._y, self.layout.n_components) > 0, tf.constant(-np.inf, tf.float64), scores - own[:, None]
        )
        return tf.nn.softplus(tf.reduce_logsumexp(others, 1))

    def _training_losses(self, theta):
        if self.model == MATCHED:
            return self._test_objectives(theta)
        return -tf.reduce_logsumexp(self._scores(theta), 1)

    def _objective(self, theta, weights):
        return tf.reduce_sum(weights * self._training_losses(theta)) / self.n + 0.5 * self.l2 * tf.reduce_sum(theta**2)

    def _value_and_gradient_graph(self, theta, weights):
        with tf.GradientTape() as tape:
            tape.watch(theta)
            value = self._objective(theta, weights)
        return value, tape.gradient(value, theta)

    def _hessian_graph(self, theta, weights):
        with tf.GradientTape() as outer:
            outer.watch(theta)
            _, gradient = self._value_and_gradient_graph(theta, weights)
        return outer.jacobian(gradient, theta)

    def _jacobian_graph(self, theta, test):
        with tf.GradientTape() as tape:
            tape.watch(theta)
            values = self._test_objectives(theta) if test else self._training_losses(theta)
        return values, tape.jacobian(values, theta)

    # -- numpy in, numpy out ----------------------------------------------------------------------------------------
    def _weights(self, weights: np.ndarray | None) -> tf.Tensor:
        return tf.constant(np.ones(self.n) if weights is None else weights, tf.float64)

    def objective(self, theta: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """J and its gradient; `weights` of the training points default to 1."""
        value, gradient = self._value_and_gradient(tf.constant(theta, tf.float64), self._weights(weights))
        return float(value), gradient.numpy()

    def hessian(self, theta: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return self._hessian(tf.constant(theta, tf.float64), self._weights(weights)).numpy()

    def training_losses(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """r_i and their gradients (n, p)."""
        values, jacobian = self._jacobian(tf.constant(theta, tf.float64), False)
        return values.numpy(), jacobian.numpy()

    def test_objectives(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """f_i = -log p(y_i | x_i) and their gradients (n, p)."""
        values, jacobian = self._jacobian(tf.constant(theta, tf.float64), True)
        return values.numpy(), jacobian.numpy()

    def minimise(self, start: np.ndarray, weights: np.ndarray | None = None, gtol: float = 1e-10, max_iter: int = 200):
        """A minimum of J (with the points' `weights`) from `start`, and the Newton steps it took. Trust-region
        steps with the exact Hessian (scipy's trust-exact) until the gradient is below 1e-6, then plain Newton
        steps: that close, J changes by less than its rounding error, which a trust region cannot judge, while the
        gradient still shrinks quadratically."""
        near = max(gtol, 1e-6)
        result = scipy.optimize.minimize(
            self.objective,
            start,
            args=(weights,),
            jac=True,
            hess=self.hessian,
            method="trust-exact",
            options={"gtol": near, "maxiter": max_iter},
        )
        theta, steps = result.x, result.nit
        _, gradient = self.objective(theta, weights)
        for _ in range(NEWTON_STEPS if np.abs(gradient).max() <= near else 0):
            if np.abs(gradient).max() <= gtol:
                break
            theta = theta - np.linalg.lstsq(self.hessian(theta, weights), gradient)[0]
            _, gradient = self.objective(theta, weights)
            steps += 1
        largest = np.abs(gradient).max()
        if not largest <= gtol:
            raise InputError(
                f"mixture {self.model}: the fit did not reach gradient {gtol:g} in {steps} Newton steps (largest "
                f"|gradient| {largest:.3g}); raise fit.gtol or l2"
            )
        return theta, steps


def fit(mixture: Mixture, seed: int, n_init: int, gtol: float) -> tuple[np.ndarray, dict]:
    """The fitted parameters (components in the order of the classes) and a record of the fit.

    Unsupervised: EM from scikit-learn (n_init starts), its components matched to the classes by the Hungarian
    assignment of their means to the class means (EM does not know the labels, so its order is arbitrary), then
    Newton steps to the exact optimum (EM's own tolerance is on the likelihood, and it adds reg_covar to the
    covariances). Matched: from each class's own mean, covariance and share.
    """
    x, y, layout, k = mixture.x, mixture.y, mixture.layout, mixture.layout.n_components
    class_means = np.stack([x[y == c].mean(0) for c in range(k)])
    if mixture.model == UNSUPERVISED:
        em = GaussianMixture(k, covariance_type="full", tol=1e-10, max_iter=1000, n_init=n_init, random_state=seed)
        em.fit(x)
        distances = np.linalg.norm(class_means[:, None] - em.means_[None], axis=2)
        order = scipy.optimize.linear_sum_assignment(distances)[1]
        start = layout.pack(em.means_[order], em.precisions_cholesky_[order], em.weights_[order])
        record = {"em_iterations": int(em.n_iter_), "em_order": order.tolist()}
    else:
        # scikit-learn's precision Cholesky factor: the inverse of the covariance's lower Cholesky factor, transposed
        covariances = [np.cov(x[y == c].T, bias=True) for c in range(k)]
        identity = np.eye(layout.dim)
        factors = [scipy.linalg.solve_triangular(np.linalg.cholesky(s), identity, lower=True).T for s in covariances]
        start = layout.pack(class_means, np.stack(factors), np.bincount(y, minlength=k) / len(y))
        record = {}
    theta, iterations = mixture.minimise(start, gtol=gtol)
    value, gradient = mixture.objective(theta)
    return theta, record | {
        "model": mixture.model,
        "l2": mixture.l2,
        "newton_iterations": iterations,
        "objective": value,
        "gradient_max_abs": float(np.abs(gradient).max()),
    }


def influence(mixture: Mixture, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predicted change of every test objective (rows) if each training point (columns) is left out,
    (1/n) grad f_t^T H^-1 grad r_z (test x train, as every influence matrix here), and the Hessian's eigenvalues."""
    factorised = FactorisedHessian.of(mixture.hessian(theta), damping=0.0)
    if not factorised.positive_definite:
        raise InputError(
            f"mixture {mixture.model}: the Hessian at the fit is not positive definite (smallest eigenvalue "
            f"{factorised.eigenvalues[0]:.3g}): the fit is not a strict minimum; raise l2"
        )
    _, train = mixture.training_losses(theta)
    _, test = mixture.test_objectives(theta)
    return factorised.solve(test.T).T @ train.T / mixture.n, factorised.eigenvalues


def leave_one_out(mixture: Mixture, theta: np.ndarray, gtol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact leave-one-out: for each training point z, J without z minimised from theta; the change of every test
    objective (rows: test points, columns: the left-out z), the refitted parameters and each refit's Newton steps."""
    before, _ = mixture.test_objectives(theta)
    changes, refits, iterations = [], [], []
    for z in range(mixture.n):
        weights = np.ones(mixture.n)
        weights[z] = 0.0
        refit, steps = mixture.minimise(theta, weights, gtol=gtol)
        after, _ = mixture.test_objectives(refit)
        changes.append(after - before)
        refits.append(refit)
        iterations.append(steps)
    return np.stack(changes, axis=1), np.stack(refits), np.array(iterations)
