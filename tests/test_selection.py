import numpy as np
import pytest

from influential import selection
from influential.data import Split


class FixedModel:
    """Predictions and losses given directly, so each rule's answer is known."""

    def __init__(self, predicted, losses):
        self._predicted, self._losses = np.asarray(predicted), np.asarray(losses, dtype=float)

    def predict(self, theta, x):
        return self._predicted

    def losses(self, theta, x, y):
        return self._losses


@pytest.fixture
def split_and_model():
    y = np.array([6, 6, 2, 6, 6, 6, 1])
    predicted = np.array([6, 2, 2, 6, 0, 6, 1])  # positions 1 and 4 are misclassified 6s
    split = Split(np.zeros((7, 2)), y, np.array([100, 101, 102, 103, 104, 105, 106]))
    return split, FixedModel(predicted, np.arange(7) / 10)


def choose(split_and_model, **spec):
    split, model = split_and_model
    return selection.select([{"name": "t", "seed": 0, **spec}], model, None, split).iloc[0]


def test_explicit_positions_and_source_indices(split_and_model):
    assert choose(split_and_model, select="index", index=2).test_position == 2
    row = choose(split_and_model, select="original_index", index=104)
    assert (row.test_position, row.label, row.predicted, row.loss) == (4, 6, 0, 0.4)


def test_first_and_random_rules(split_and_model):
    assert choose(split_and_model, select="first_misclassified", label=6).test_position == 1
    assert choose(split_and_model, select="first_correct", label=6).test_position == 0
    picks = {choose(split_and_model, select="random_correct", label=6, seed=s).test_position for s in range(30)}
    assert picks == {0, 3, 5}
    again = choose(split_and_model, select="random_misclassified", label=6, seed=7).test_position
    assert again == choose(split_and_model, select="random_misclassified", label=6, seed=7).test_position


def test_impossible_rules_name_the_test_point(split_and_model):
    with pytest.raises(
        selection.SelectionError, match=r"test_points\.t: no misclassified test example of class 1 among 1"
    ):
        choose(split_and_model, select="first_misclassified", label=1)
    with pytest.raises(selection.SelectionError, match=r"index 9 outside the test split \(0..6\)"):
        choose(split_and_model, select="index", index=9)
    with pytest.raises(selection.SelectionError, match="source index 6558 is not in the test split"):
        choose(split_and_model, select="original_index", index=6558)
