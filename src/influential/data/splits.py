"""The examples every stage works on: a split keeps each example's index in its source (`Split.index`), so any
result can be traced back to the original image. Images are float32 in [0, 1] with a trailing channel axis;
tabular data keeps its shape. Where examples come from is `sources`."""

from dataclasses import dataclass, field

import numpy as np

from influential.core.errors import InputError


class DataError(InputError):
    """Bad or insufficient input data; the message names the file or setting and the problem."""


@dataclass(frozen=True)
class Split:
    x: np.ndarray
    y: np.ndarray
    index: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def take(self, positions: np.ndarray) -> "Split":
        return Split(self.x[positions], self.y[positions], self.index[positions])


@dataclass(frozen=True)
class Dataset:
    train: Split
    validation: Split
    test: Split
    meta: dict = field(default_factory=dict)

    SPLITS = ("train", "validation", "test")

    @property
    def n_classes(self) -> int:
        return int(self.meta["n_classes"])

    def marked_positions(self) -> dict[str, list[int]]:
        """Training positions of the points the source marks (e.g. the synthetic outlier), by mark."""
        return {
            name: np.flatnonzero(np.isin(self.train.index, indices)).tolist()
            for name, indices in self.meta.get("marked", {}).items()
        }
