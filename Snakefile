"""Finding influential training examples: influence estimators checked against leave-one-out retraining."""

import os
import sys

from snakemake.utils import min_version

min_version("9.0")

# The library lives in src/. Jobs find it through scripts/influential, a link that Snakemake's script search
# path (the script's folder) reaches in every environment: local, --use-conda and SLURM.
sys.path.insert(0, os.path.join(workflow.basedir, "src"))

from influential.config import ConfigError, load_schema, validate


configfile: "config.yaml"


try:
    schema = load_schema(workflow.source_path("workflow/schemas/config.schema.yaml"))
    config.update(validate(config, schema))
except ConfigError as err:
    sys.exit(str(err))  # one line naming the key, before any job runs


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


# Cheap stages run on the head node on a cluster; the rest are submitted as jobs.
localrules:
    all,
    dataset,
    test_points,
    loo_select,
    loo_gather,
    evaluate,
    compare_estimators,
    plot_dataset,
    plot_influence_vs_loo,
    plot_training,


include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/influence.smk"
include: "workflow/rules/loo.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/embeddings.smk"
include: "workflow/rules/plots.smk"


rule all:
    default_target: True
    input:
        all_targets(),
        all_chunks,
