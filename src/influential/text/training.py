"""Training a Skip-gram model on a corpus' units, and retraining it without some of them, by the project's Adam loop
(training.fit, loo.retrain): the units are the training examples, given by their ids; there are no labels and no
test split, every objective is read from the stored word vectors."""

import numpy as np

from influential.data.splits import Dataset, Split


def units_dataset(model) -> Dataset:
    """The model's units as a training split (ids; labels that nothing reads), empty validation and test splits."""
    units = model.units()
    empty = Split(units[:0], np.zeros(0, np.int32), units[:0])
    return Dataset(Split(units, np.zeros(len(units), np.int32), units), empty, empty)
