"""The Gaussian mixture of the cross-loss experiment (config `mixtures:`) behind the model interface (see models), in
closed form with numpy: its jobs never load TensorFlow.

A K-component, full-covariance mixture in d dimensions, fitted by maximum likelihood without labels (`unsupervised`:
the training loss of a point is -log p(x)) or to the labels' conditional likelihood (`matched`: -log p(y | x), the
test objective of every point in both cases, `posterior_losses`). Parameters are unconstrained: the means, each
component's precision Cholesky factor P (precision = P P^T, P upper triangular: the log of its diagonal and its
off-diagonal entries) and the mixing logits of components 2..K (component 1's is fixed at 0); 17 for three 2-D
components. The training objective is the mean loss + l2/2 |theta|^2; a left-out point takes only its loss with it.

Derivatives: a point's score for component k, s_k = log pi_k + sum(log diag P_k) - |z_k|^2 / 2 - d/2 log 2 pi with
z_k = P_k^T (x - mu_k), is bilinear in (mu_k, P_k) through z_k, so its gradient and Hessian are z_k's Jacobian J
(d x q over the component's q = 2d + d(d-1)/2 parameters) and two sparse terms; the losses are log-sum-exps of the
scores, whose Hessian adds the posterior covariance of the scores' gradients. Differences are taken against the
true class's score where that avoids cancellation (p(y | x) near 1).
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.special

from influential.core import names
from influential.core.errors import InputError
from influential.derivatives.hessian import DenseHessianOperator


@dataclass(frozen=True)
class GaussianMixture:
    n_components: int
    dim: int
    training: str  # names.MIXTURE_MODELS: which loss it is fitted to
    l2: float

    kind = names.GAUSSIAN_MIXTURE
    removal_includes_regularizer = False
    layer_names = ()  # no representations: the test objective is posterior_losses, not a configurable one

    @classmethod
    def for_data(cls, x: np.ndarray, y: np.ndarray, n_components: int, training: str, l2: float):
        """The model for data points `x` (n, d) with classes `y`; checks what the fit needs."""
        if training not in names.MIXTURE_MODELS:
            raise InputError(f"mixture model: {training!r} is not one of {', '.join(names.MIXTURE_MODELS)}")
        if training == names.MATCHED and not l2 > 0:
            # p(y | x) depends on the differences of the components' log densities only, so it is flat along any
            # change that adds the same quadratic to all of them (and, for separable clusters, has no minimum)
            raise InputError(f"mixture matched: l2 is {l2}; the conditional likelihood needs l2 > 0 to have a minimum")
        if x.ndim != 2 or len(x) != len(y):
            raise InputError(f"mixture data: x has shape {x.shape} and y {y.shape}; want (n, d) and (n,)")
        return cls(int(n_components), x.shape[1], training, float(l2))

    def meta(self) -> dict:
        return {
            "kind": self.kind,
            "n_components": self.n_components,
            "dim": self.dim,
            "training": self.training,
            "l2": self.l2,
        }

    @property
    def n_classes(self) -> int:
        return self.n_components

    @property
    def _off_diagonal(self) -> int:
        return self.dim * (self.dim - 1) // 2

    @property
    def n_params(self) -> int:
        k, d = self.n_components, self.dim
        return 2 * k * d + k * self._off_diagonal + k - 1

    # -- the parameter vector ----------------------------------------------------------------------------------------
    def pack(self, means: np.ndarray, precision_cholesky: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The parameter vector of a mixture given as scikit-learn holds it (upper-triangular P per component)."""
        upper = np.triu_indices(self.dim, 1)
        log_diagonal = np.log(np.stack([np.diag(p) for p in precision_cholesky]))
        off_diagonal = np.stack([p[upper] for p in precision_cholesky])
        logits = np.log(weights[1:]) - np.log(weights[0])
        return np.concatenate([means.ravel(), log_diagonal.ravel(), off_diagonal.ravel(), logits])

    def _split(self, theta: np.ndarray):
        """Means (K, d), log diagonals (K, d), factors P (K, d, d) and log mixing weights (K,)."""
        k, d = self.n_components, self.dim
        means, log_diagonal, off_diagonal, logits = np.split(theta, np.cumsum([k * d, k * d, k * self._off_diagonal]))
        log_diagonal = log_diagonal.reshape(k, d)
        factors = np.zeros((k, d, d))
        factors[:, *np.diag_indices(d)] = np.exp(log_diagonal)
        factors[:, *np.triu_indices(d, 1)] = off_diagonal.reshape(k, -1)
        a = np.concatenate([[0.0], logits])
        return means.reshape(k, d), log_diagonal, factors, a - scipy.special.logsumexp(a)

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Means (K, d), covariances (K, d, d) and mixing weights (K,)."""
        means, _, factors, log_weights = self._split(theta)
        return means, np.linalg.inv(factors @ factors.transpose(0, 2, 1)), np.exp(log_weights)

    @cached_property
    def _columns(self) -> np.ndarray:
        """Where component k's own parameters (mu, log diag P, off-diagonal P) sit in theta: (K, q)."""
        k, d, m = self.n_components, self.dim, self._off_diagonal
        c = np.arange(k)[:, None]
        return np.hstack([c * d + np.arange(d), k * d + c * d + np.arange(d), 2 * k * d + c * m + np.arange(m)])

    # -- scores and their derivatives --------------------------------------------------------------------------------
    def _scores(self, theta: np.ndarray, x: np.ndarray):
        """s (n, K), and what the derivatives reuse: x - mu_k (n, K, d), z (n, K, d), the factors, log weights."""
        means, log_diagonal, factors, log_weights = self._split(theta)
        v = np.asarray(x, dtype=np.float64)[:, None, :] - means[None]
        z = np.einsum("nkc,kce->nke", v, factors)
        log_density = log_diagonal.sum(1) - 0.5 * (z**2).sum(2) - 0.5 * self.dim * np.log(2 * np.pi)
        return log_density + log_weights, v, z, factors, np.exp(log_weights)

    def _z_jacobian(self, v: np.ndarray, factors: np.ndarray) -> np.ndarray:
        """dz_k / d(component k's parameters), (n, K, d, q)."""
        d, upper = self.dim, np.triu_indices(self.dim, 1)
        jacobian = np.zeros((*v.shape, 2 * d + self._off_diagonal))
        jacobian[..., :d] = -factors.transpose(0, 2, 1)[None]  # dz_e / dmu_c = -P_ce
        diagonal = factors[:, np.arange(d), np.arange(d)]
        jacobian[..., np.arange(d), d + np.arange(d)] = v * diagonal[None]  # P_jj = exp(l_j)
        jacobian[..., upper[1], 2 * d + np.arange(len(upper[0]))] = v[..., upper[0]]  # dz_f / dP_cf = v_c
        return jacobian

    def _score_gradients(self, theta, x):
        """s (n, K), ds/dtheta (n, K, p), and what the Hessian reuses."""
        s, v, z, factors, weights = self._scores(theta, x)
        jacobian = self._z_jacobian(v, factors)
        local = -np.einsum("nkeq,nke->nkq", jacobian, z)
        local[..., self.dim : 2 * self.dim] += 1.0  # d sum(log diag P) / dl_j
        gradients = np.zeros((*s.shape, self.n_params))
        gradients[:, np.arange(self.n_components)[:, None], self._columns] = local
        # log pi_k = a_k - logsumexp(a), over the free logits a_2..a_K
        gradients[..., self.n_params - self.n_components + 1 :] = np.eye(self.n_components)[:, 1:] - weights[1:]
        return s, gradients, (v, z, factors, jacobian, weights)

    def _local_score_hessians(self, v, z, factors, jacobian) -> np.ndarray:
        """d^2 s_k / d(component k's parameters)^2, (n, K, q, q): minus the Hessian of |z|^2 / 2."""
        d, upper = self.dim, np.triu_indices(self.dim, 1)
        h = np.einsum("nkeq,nker->nkqr", jacobian, jacobian)
        diagonal = factors[:, np.arange(d), np.arange(d)][None]
        # z is bilinear in (mu, P): d^2 z_e / dmu_c dP_c'f = -[c = c'][e = f], times dP/dl where P_ff = exp(l_f)
        cross = np.zeros_like(h)
        cross[..., np.arange(d), d + np.arange(d)] = -z * diagonal
        cross[..., upper[0], 2 * d + np.arange(len(upper[0]))] = -z[..., upper[1]]
        h += cross + cross.swapaxes(-1, -2)
        h[..., np.arange(d) + d, np.arange(d) + d] += v * z * diagonal  # d^2 P_jj / dl_j^2 = P_jj
        return -h

    # -- the losses ------------------------------------------------------------------------------------------------
    def _conditional(self) -> bool:
        return self.training == names.MATCHED

    def posterior_losses(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """-log p(y | x) per example, as softplus(logsumexp_{k != y}(s_k - s_y)): exact where p(y | x) is near 1,
        where log-sum-exp minus s_y would round to 0."""
        s = self._scores(theta, x)[0]
        others = s - s[np.arange(len(y)), y][:, None]
        others[np.arange(len(y)), y] = -np.inf
        return np.logaddexp(0.0, scipy.special.logsumexp(others, axis=1))

    def losses(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The training loss per example: -log p(x) (unsupervised) or -log p(y | x) (matched)."""
        if self._conditional():
            return self.posterior_losses(theta, x, y)
        return -scipy.special.logsumexp(self._scores(theta, x)[0], axis=1)

    def predict(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        return self._scores(theta, x)[0].argmax(1)

    def _loss_derivatives(self, theta, x, y, conditional: bool, hessian: bool):
        """Per-example gradients of -log p(x) or -log p(y | x), and (hessian=True) the sum of their Hessians.

        L = sigma logsumexp(s) - rho s_y with (sigma, rho) = (-1, 0) or (1, 1); with D_k = grad s_k - grad s_y
        and the posterior gamma: grad L = sigma sum_k gamma_k D_k + (sigma - rho) grad s_y and
        hess L = sum_k (sigma gamma_k - rho [k = y]) hess s_k + sigma (sum_k gamma_k D_k D_k^T - m m^T), m = sum_k
        gamma_k D_k."""
        sigma, rho = (1.0, 1.0) if conditional else (-1.0, 0.0)
        y = np.asarray(y)
        s, ds, (v, z, factors, jacobian, weights) = self._score_gradients(theta, x)
        rows = np.arange(len(s))
        gamma = scipy.special.softmax(s, axis=1)
        differences = ds - ds[rows, y][:, None]
        mean = np.einsum("nk,nkp->np", gamma, differences)
        gradients = sigma * mean + (sigma - rho) * ds[rows, y]
        if not hessian:
            return gradients, None
        coefficients = sigma * gamma
        if conditional:  # gamma_y - 1 as minus the others' posterior, exact where gamma_y rounds to 1
            coefficients[rows, y] = -(gamma.sum(1) - gamma[rows, y])
        local = np.einsum("nk,nkqr->kqr", coefficients, self._local_score_hessians(v, z, factors, jacobian))
        total = sigma * (np.einsum("nk,nkp,nkq->pq", gamma, differences, differences) - mean.T @ mean)
        for k, columns in enumerate(self._columns):
            total[np.ix_(columns, columns)] += local[k]
        logits = slice(self.n_params - self.n_components + 1, None)
        # hess log pi_k = -(diag(pi) - pi pi^T) over the free logits, the same for every k
        total[logits, logits] -= coefficients.sum() * (np.diag(weights[1:]) - np.outer(weights[1:], weights[1:]))
        return gradients, total

    def posterior_gradients(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Gradients of -log p(y | x) per example, (n, n_params): the test objective's."""
        return self._loss_derivatives(theta, x, y, conditional=True, hessian=False)[0]

    def per_example_gradients(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        return self._loss_derivatives(theta, x, y, self._conditional(), hessian=False)[0]

    def loss_gradient(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        return self.per_example_gradients(theta, x, y, batch_size).mean(0)

    def loss_hessian(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
        return self._loss_derivatives(theta, x, y, self._conditional(), hessian=True)[1] / len(x)

    def regularizer_value(self, theta: np.ndarray) -> float:
        return 0.5 * self.l2 * float(theta @ theta)

    def regularizer_gradient(self, theta: np.ndarray) -> np.ndarray:
        return self.l2 * theta

    def regularizer_hessian(self, theta: np.ndarray) -> np.ndarray:
        return self.l2 * np.eye(self.n_params)

    def hessian_operator(self, theta, x, y, damping: float, batch_size: int) -> DenseHessianOperator:
        return DenseHessianOperator(self, theta, x, y, damping, batch_size)
