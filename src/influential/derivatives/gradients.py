"""First derivatives of a model's training objective, for any model behind the model interface (see models):
per-example loss gradients (the hot spot of every influence estimator), the objective's, and what removing a
training point takes away."""

import numpy as np

BATCH_SIZE = 500  # examples per batch where a caller gives none (the schema's influence.batch_size default)


def batches(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def per_example_gradients(
    model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = BATCH_SIZE
) -> np.ndarray:
    """Gradients of loss(theta, z_i) for every example, shape (n, n_params); no regulariser."""
    return model.per_example_gradients(theta, x, y, batch_size)


def removal_gradients(model, theta: np.ndarray, train_gradients: np.ndarray) -> np.ndarray:
    """Gradient of the term that leaving each training point out removes from the objective, times n."""
    if model.removal_includes_regularizer:
        return train_gradients + model.regularizer_gradient(theta)
    return train_gradients


def objective_gradient(
    model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, batch_size: int = BATCH_SIZE
) -> np.ndarray:
    """Gradient of mean loss + regulariser over (x, y)."""
    return model.regularizer_gradient(theta) + model.loss_gradient(theta, x, y, batch_size)


def removal_products(model, theta: np.ndarray, x: np.ndarray, y: np.ndarray, columns: np.ndarray, batch_size: int):
    """removal_gradients(...) @ columns, transposed to (k, n), from the model's per-example directional derivatives
    (`per_example_jvps`) without forming the gradients."""
    products = model.per_example_jvps(theta, x, y, columns, batch_size)
    if model.removal_includes_regularizer:
        products = products + (columns.T @ model.regularizer_gradient(theta))[:, None]
    return products
