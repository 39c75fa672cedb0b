"""Finding influential training examples: influence estimators checked against leave-one-out retraining."""

import os
import sys

from snakemake.utils import min_version

min_version("9.0")

# The library lives in src/. Jobs import it from there too: PYTHONPATH comes before any installed copy (an editable
# install of another checkout included) in every job this workflow starts, locally, with --use-conda or on SLURM,
# and each job checks that it runs this code (influential.job).
LIBRARY = os.path.join(workflow.basedir, "src")
sys.path.insert(0, LIBRARY)
os.environ.update(
    PYTHONPATH=os.pathsep.join([LIBRARY, *filter(None, [os.environ.get("PYTHONPATH")])])
)

from influential.core.config import (
    ConfigError,
    chooses_retrained,
    load_schema,
    load_yaml,
    representations,
    validate,
)

if os.path.exists("config.yaml"):
    try:
        load_yaml(
            "config.yaml"
        )  # Snakemake's own message for a syntax error names neither file nor line
    except ConfigError as err:
        sys.exit(str(err))


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
    test_point,
    test_points,
    loo_select,
    loo_gather,
    evaluate,
    compare_estimators,
    plot_dataset,
    plot_influence_vs_loo,
    plot_training,
    plot_parameter_change,
    mixture_data,
    mixture_evaluate,
    plot_mixture,
    mislabel_evaluate,
    plot_mislabel,
    word_corpus,
    word_objectives,
    word_loo_select,
    word_loo_gather,
    word_evaluate,
    word_units,
    plot_words,


include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/influence.smk"
include: "workflow/rules/loo.smk"
include: "workflow/rules/lds.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/embeddings.smk"
include: "workflow/rules/plots.smk"
include: "workflow/rules/mixture.smk"
include: "workflow/rules/mislabel.smk"
include: "workflow/rules/words.smk"


rule all:
    default_target: True
    input:
        all_targets(),
        all_chunks,
