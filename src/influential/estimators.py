"""Influence estimators behind one interface: build from a model, its parameters and the training data, then ask
for `loss_change_if_removed(x_test, y_test)`.

Sign convention (Koh & Liang eq. 2, with removal = up-weighting by -1/n): the predicted change of a test point's
loss when training point z is left out is

    (1/n) grad L(z_test)^T H^-1 grad R_z,

where H is the (damped) Hessian of the training objective and R_z the term that z contributes to it. Positive: the
test loss rises without z, so z helps the test prediction. Leave-one-out measures the same quantity as
L(z_test; theta_-z) - L(z_test; theta).
"""

import logging

import numpy as np

from influential import hessian as hs

log = logging.getLogger(__name__)

SIGN_CONVENTION = "predicted L(test; theta_-z) - L(test; theta): positive = removing z raises the test loss"


class ExactInfluence:
    """Full Hessian, eigendecomposed once; each test point then costs one gradient and two matrix products.

    `train_gradients` and `factorised` are accepted ready-made so a workflow can cache them.
    """

    name = "exact"

    def __init__(
        self,
        model,
        theta: np.ndarray,
        x_train: np.ndarray,
        y_train: np.ndarray,
        damping: float = 0.0,
        *,
        train_gradients: np.ndarray | None = None,
        factorised: hs.FactorisedHessian | None = None,
    ):
        self.model, self.theta = model, theta
        if train_gradients is None:
            train_gradients = hs.per_example_gradients(model, theta, x_train, y_train)
        if factorised is None:
            factorised = hs.FactorisedHessian.of(hs.hessian(model, theta, x_train, y_train), damping)
        self.factorised = factorised
        self.removal = hs.removal_gradients(model, theta, train_gradients)
        if not factorised.positive_definite:
            log.warning("damped Hessian is not positive definite: %s", factorised.summary())

    def loss_change_if_removed(self, x_test: np.ndarray, y_test: np.ndarray) -> np.ndarray:
        """Predicted change of each test loss when each training point is left out, shape (n_test, n_train)."""
        test_gradients = hs.per_example_gradients(self.model, self.theta, x_test, y_test)
        s_test = self.factorised.solve(test_gradients.T)  # (n_params, n_test)
        return (s_test.T @ self.removal.T) / len(self.removal)


ESTIMATORS = {cls.name: cls for cls in (ExactInfluence,)}
