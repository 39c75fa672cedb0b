"""Label noise on purpose: a seeded share of the training labels flipped, uniformly to another class or by a fixed
class map, and which positions were flipped (so that a ranking of suspects can be scored)."""

import numpy as np

from influential.core.errors import InputError
from influential.data.splits import DataError, Dataset, Split


def flip(
    y: np.ndarray, n_classes: int, fraction: float, seed: int, class_map: dict[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The noisy labels and the flipped positions (sorted).

    round(fraction * len(y)) positions are drawn without replacement: uniformly, each moving to one of the other
    n_classes - 1 classes with equal chance; with a class map ({from: to}), only among the examples of a mapped
    class, each moving to its class's image. A label never flips to itself.
    """
    count = round(fraction * len(y))
    if class_map:
        same = sorted(c for c, to in class_map.items() if c == to)
        if same:
            raise InputError(f"label_noise.map: class {same[0]} is mapped to itself")
        eligible = np.flatnonzero(np.isin(y, list(class_map)))
    else:
        if n_classes < 2:
            raise InputError("label_noise: flipping needs at least two classes")
        eligible = np.arange(len(y))
    if count > len(eligible):
        raise InputError(
            f"label_noise.fraction: {fraction} of {len(y)} is {count} labels, but only {len(eligible)} training "
            "examples belong to a mapped class"
        )
    rng = np.random.default_rng(seed)
    positions = np.sort(rng.choice(eligible, count, replace=False))
    noisy = y.copy()
    if class_map:
        noisy[positions] = [class_map[int(c)] for c in y[positions]]
    else:
        noisy[positions] = (y[positions] + rng.integers(1, n_classes, count)) % n_classes
    return noisy, positions


def with_label_noise(dataset: Dataset, noise: dict) -> Dataset:
    """The training labels flipped as configured; meta records the flipped positions and their true labels. A map
    names the source's classes, translated here to the dataset's renumbered ones."""
    classes = dataset.meta.get("classes")

    def renumbered(label: int) -> int:
        if classes is None:
            return label
        if label not in classes:
            raise DataError(f"label_noise.map: class {label} is not among dataset.classes {classes}")
        return classes.index(label)

    class_map = {renumbered(a): renumbered(b) for a, b in noise.get("map", [])}
    train = dataset.train
    noisy, positions = flip(train.y, dataset.n_classes, noise["fraction"], noise["seed"], class_map)
    record = {"positions": positions.tolist(), "true_labels": train.y[positions].tolist()}
    meta = dataset.meta | {"label_noise": {**noise, **record}}
    return Dataset(Split(train.x, noisy, train.index), dataset.validation, dataset.test, meta=meta)
