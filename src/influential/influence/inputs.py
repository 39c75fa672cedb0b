"""What an estimator reads besides the data and the model, loaded from a workflow job's input files by role
(names.ESTIMATOR_INPUTS): the keyword arguments of the estimator families' `build`."""

from influential.core import io
from influential.core.names import ESTIMATOR_INPUTS, HESSIAN, TRAIN_GRADIENTS, TRAJECTORY
from influential.derivatives.hessian import FactorisedHessian
from influential.training.trajectory import Trajectory

LOADERS = {
    TRAIN_GRADIENTS: lambda path: io.load_arrays(path)["gradients"],
    HESSIAN: FactorisedHessian.load,
    TRAJECTORY: Trajectory.load,
}
KEYWORDS = {TRAIN_GRADIENTS: "train_gradients", HESSIAN: "factorised", TRAJECTORY: "trajectory"}


def load(estimator: str, files) -> dict:
    """The estimator's cached inputs, from `files` (a job's input by role), as `build` takes them."""
    return {KEYWORDS[role]: LOADERS[role](files[role]) for role in ESTIMATOR_INPUTS[estimator]}
