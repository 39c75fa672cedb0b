"""The learned metric (thesis Table 4.3) and the TensorBoard projector folder."""

import numpy as np
import pandas as pd
import pytest
from google.protobuf import text_format
from PIL import Image
from tensorboard.plugins import projector as tb_projector

from influential.embeddings import learned_metric, projector


def test_learned_metric_fits_its_training_rows_and_reports_held_out_ones():
    rng = np.random.default_rng(0)
    embedding = rng.normal(size=(40, 4)).astype(np.float32)
    labels = rng.integers(0, 3, 40)
    target = 1e-3 * (embedding @ np.array([1.0, -2.0, 0.5, 0.0]))  # influence-sized values
    settings = learned_metric.AnnSettings(
        layer="logits", hidden=16, depth=2, epochs=60, batch_size=8, learning_rate=1e-3, l2=1e-4,
        heldout_fraction=0.25, seed=0,
    )  # fmt: skip
    curves, predicted, heldout, summary = learned_metric.fit(embedding, labels, 3, target, settings)
    assert heldout.sum() == 10 == summary["n_heldout"] and summary["n_train"] == 30
    assert curves["epoch"].tolist() == list(range(1, 61))
    np.testing.assert_allclose(summary["train_mae"], np.abs(predicted - target)[~heldout].mean(), rtol=1e-5)
    assert summary["train_mae"] < 0.3 * np.abs(target - np.median(target)).mean()  # it learned something
    assert curves["train_mae"].iloc[-1] < curves["train_mae"].iloc[0]
    np.testing.assert_allclose(curves["heldout_mae"].iloc[-1], summary["heldout_mae"], rtol=1e-4)
    again = learned_metric.fit(embedding, labels, 3, target, settings)
    np.testing.assert_array_equal(again[1], predicted)  # seeded and deterministic


def test_held_out_split_keeps_both_sides():
    assert learned_metric.heldout_split(3, 0.9, 0).sum() == 2
    assert learned_metric.heldout_split(3, 0.01, 0).sum() == 1


def test_projector_folder_opens_as_tensorboard_reads_it(tmp_path):
    rng = np.random.default_rng(1)
    images = rng.random((5, 28, 28, 1)).astype(np.float32)
    vectors = rng.normal(size=(5, 10))
    metadata = pd.DataFrame({"split": ["train"] * 3 + ["test"] * 2, "label": [1, 2, 3, 4, 5]})
    folder = tmp_path / "projector"
    projector.write(folder, "logits", vectors, metadata, images)
    config = text_format.Parse((folder / "projector_config.pbtxt").read_text(), tb_projector.ProjectorConfig())
    (embedding,) = config.embeddings
    assert embedding.tensor_name == "logits" and list(embedding.sprite.single_image_dim) == [28, 28]
    np.testing.assert_allclose(np.loadtxt(folder / embedding.tensor_path, delimiter="\t"), vectors, rtol=1e-5)
    assert pd.read_csv(folder / embedding.metadata_path, sep="\t")["label"].tolist() == [1, 2, 3, 4, 5]
    sprite = np.asarray(Image.open(folder / embedding.sprite.image_path))
    assert sprite.shape == (3 * 28, 3 * 28)  # ceil(sqrt(5)) = 3 images a side
    np.testing.assert_array_equal(sprite[28:56, 28:56], np.round(images[4, :, :, 0] * 255))  # row 1, column 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["projector"]  # built beside it, then moved


def test_sprite_refuses_more_than_tensorboard_shows():
    with pytest.raises(ValueError, match="projector: 90000 images of 28x28 exceed the 8192-pixel sprite"):
        projector.sprite(np.zeros((90000, 28, 28)))
