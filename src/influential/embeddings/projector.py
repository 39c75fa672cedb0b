"""A TensorBoard projector folder (`tensorboard --logdir <folder>`, then the Projector tab): vectors as TSV,
per-point metadata, and a sprite of the images."""

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from google.protobuf import text_format
from PIL import Image
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

SPRITE_LIMIT = 8192  # TensorBoard's largest sprite side, in pixels


def sprite(images: np.ndarray) -> np.ndarray:
    """Images (n, h, w[, 1]) in [0, 1] tiled row by row into one square uint8 image, as the projector expects."""
    images = images.reshape(len(images), images.shape[1], images.shape[2])
    side = int(np.ceil(np.sqrt(len(images))))
    h, w = images.shape[1:]
    if side * max(h, w) > SPRITE_LIMIT:
        raise ValueError(f"projector: {len(images)} images of {h}x{w} exceed the {SPRITE_LIMIT}-pixel sprite")
    grid = np.zeros((side * h, side * w), dtype=np.uint8)
    for i, image in enumerate(images):
        row, col = divmod(i, side)
        grid[row * h : (row + 1) * h, col * w : (col + 1) * w] = np.round(np.clip(image, 0, 1) * 255)
    return grid


def write(folder: str | Path, name: str, vectors: np.ndarray, metadata: pd.DataFrame, images: np.ndarray) -> None:
    """Write the projector folder atomically: built beside it, then moved into place."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        np.savetxt(building / "tensors.tsv", vectors, delimiter="\t", fmt="%.6g")
        metadata.to_csv(building / "metadata.tsv", sep="\t", index=False)
        Image.fromarray(sprite(images)).save(building / "sprite.png")
        config = ProjectorConfig()
        embedding = config.embeddings.add()
        embedding.tensor_name = name
        embedding.tensor_path = "tensors.tsv"
        embedding.metadata_path = "metadata.tsv"
        embedding.sprite.image_path = "sprite.png"
        embedding.sprite.single_image_dim.extend([images.shape[2], images.shape[1]])
        # what tensorboard's projector.visualize_embeddings writes, without the TensorFlow it imports to do so
        (building / "projector_config.pbtxt").write_text(text_format.MessageToString(config))
        os.chmod(building, 0o755)
        if folder.exists():
            shutil.rmtree(folder)
        building.rename(folder)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise


def metadata(dataset, logits: dict[str, np.ndarray], test_points: pd.DataFrame) -> pd.DataFrame:
    """A row per training and test example: split, position, label, predicted class, and the test points it is (one
    test example can be several, e.g. with different objectives)."""
    points = test_points.groupby("test_position")["test"].agg(", ".join)
    parts = []
    for name, split in (("train", dataset.train), ("test", dataset.test)):
        positions = np.arange(len(split))
        parts.append(
            pd.DataFrame(
                {
                    "split": name,
                    "position": positions,
                    "label": split.y,
                    "predicted": logits[name].argmax(axis=1),
                    "test_point": points.reindex(positions).fillna("").to_numpy() if name == "test" else "",
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
