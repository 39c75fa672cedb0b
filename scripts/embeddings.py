"""Every layer's output (thesis Table 4.1) for every training and test example, one file per layer."""

from pathlib import Path

from influential import models
from influential.core import io, job


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        theta, meta = io.load_model(snakemake.input.model)
        model = models.from_meta(meta)
        train, test = (model.representations(theta, split.x) for split in (dataset.train, dataset.test))
        for path in snakemake.output:
            layer = Path(path).stem
            io.save_arrays(path, train=train[layer], test=test[layer])
            log.info("%s: %d dimensions", layer, train[layer].shape[1])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
