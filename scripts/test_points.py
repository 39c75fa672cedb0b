"""All test points of an experiment as one table, in the config's order."""

import pandas as pd

from influential.core import io, job


def main(snakemake):
    with job.run(snakemake) as log:
        table = pd.json_normalize([io.read_json(path) for path in snakemake.input])  # objective.kind, .class, ...
        log.info("test points:\n%s", table.to_string(index=False))
        io.write_table(table, snakemake.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
