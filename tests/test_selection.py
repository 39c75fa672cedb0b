import pandas as pd
import pytest

from influential.testpoints import selection


@pytest.fixture
def predictions():
    """What training records on the test split: positions 1 and 4 are misclassified 6s."""
    return pd.DataFrame(
        {
            "position": range(7),
            "original_index": [100, 101, 102, 103, 104, 105, 106],
            "label": [6, 6, 2, 6, 6, 6, 1],
            "predicted": [6, 2, 2, 6, 0, 6, 1],
            "loss": [p / 10 for p in range(7)],
        }
    )


def choose(predictions, **spec):
    return selection.resolve({"name": "t", "seed": 0, **spec}, predictions)


def test_explicit_positions_and_source_indices(predictions):
    assert choose(predictions, select="index", index=2)["test_position"] == 2
    assert choose(predictions, select="original_index", index=104) == {
        "test": "t",
        "test_position": 4,
        "original_index": 104,
        "label": 6,
        "predicted": 0,
        "loss": 0.4,
        "select": "original_index",
    }


def test_first_and_random_rules(predictions):
    assert choose(predictions, select="first_misclassified", label=6)["test_position"] == 1
    assert choose(predictions, select="first_correct", label=6)["test_position"] == 0
    picks = {choose(predictions, select="random_correct", label=6, seed=s)["test_position"] for s in range(30)}
    assert picks == {0, 3, 5}
    again = choose(predictions, select="random_misclassified", label=6, seed=7)["test_position"]
    assert again == choose(predictions, select="random_misclassified", label=6, seed=7)["test_position"]


def test_impossible_rules_name_the_test_point(predictions):
    with pytest.raises(
        selection.SelectionError, match=r"test_points\.t: no misclassified test example of class 1 among 1"
    ):
        choose(predictions, select="first_misclassified", label=1)
    with pytest.raises(selection.SelectionError, match=r"index 9 outside the test split \(0..6\)"):
        choose(predictions, select="index", index=9)
    with pytest.raises(selection.SelectionError, match="source index 6558 is not in the test split"):
        choose(predictions, select="original_index", index=6558)
