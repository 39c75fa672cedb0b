# Refits record every model's loss on every test example, so a new test point is gathered, never refitted.
rule loo_refit:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
    output:
        out("loo", "refits.parquet"),
    log:
        out("logs", "loo_refit.log"),
    benchmark:
        out("benchmarks", "loo_refit.tsv")
    wildcard_constraints:
        exp=with_loo("refit"),
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        training=lambda wc: experiment(wc.exp)["training"],
        loo=lambda wc: experiment(wc.exp)["loo"],
        code=library_code("loo_refit"),
    script:
        "../../scripts/loo_refit.py"


checkpoint loo_select:
    input:
        predicted=lambda wc: expand(
            out("influence", "{estimator}", "{test}.parquet"),
            exp=wc.exp,
            estimator=experiment(wc.exp)["loo"]["estimator"],
            test=choosing_tests(wc.exp),
        ),
    output:
        selected=report(
            out("loo", "selected.csv"),
            caption="../report/selected.rst",
            category="{exp}",
            subcategory="Leave-one-out",
        ),
        plan=out("loo", "plan.csv"),
    log:
        out("logs", "loo_select.log"),
    benchmark:
        out("benchmarks", "loo_select.tsv")
    wildcard_constraints:
        exp=with_loo(*names.RETRAINING),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        k=lambda wc: experiment(wc.exp)["loo"]["k"],
        chunk_size=lambda wc: experiment(wc.exp)["loo"]["chunk_size"],
        chunks=lambda wc: out("loo", "chunks").format(exp=wc.exp),
        code=library_code("loo_select"),
    script:
        "../../scripts/loo_select.py"


# Inputs are only what retraining reads, so new test points or a larger k never redo a chunk; the positions come
# from the plan as a parameter, which a chunk's name fixes.
rule loo_chunk:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
    output:
        out("loo", "chunks", "{chunk}.parquet"),
    log:
        out("logs", "loo", "{chunk}.log"),
    benchmark:
        out("benchmarks", "loo", "{chunk}.tsv")
    wildcard_constraints:
        exp=with_loo(*names.RETRAINING),
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=loo_chunk_runtime,
        mem_mb=job_memory_mb,
    params:
        positions=chunk_positions,
        retrain=lambda wc: retrain_settings(wc.exp),
        training=lambda wc: experiment(wc.exp)["training"],
        code=library_code("loo_chunk"),
    script:
        "../../scripts/loo_chunk.py"


# A test point with another objective than its loss, measured on every stored model without retraining.
rule loo_objective:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
        test_point=rules.test_point.output[0],
        tables=loo_models,
    output:
        out("loo", "objectives", "{test}.parquet"),
    log:
        out("logs", "loo_objectives", "{test}.log"),
    benchmark:
        out("benchmarks", "loo_objectives", "{test}.tsv")
    wildcard_constraints:
        exp=with_loo("refit", *names.RETRAINING),
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        code=library_code("loo_objective"),
    script:
        "../../scripts/loo_objective.py"


rule loo_gather:
    input:
        unpack(loo_tables),
        test_points=rules.test_points.output[0],
    output:
        out("loo", "actual.parquet"),
    log:
        out("logs", "loo_gather.log"),
    benchmark:
        out("benchmarks", "loo_gather.tsv")
    wildcard_constraints:
        exp=with_loo("refit", *names.RETRAINING),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        code=library_code("loo_gather"),
    script:
        "../../scripts/loo_gather.py"


# Thesis figure 5.19: the first choosing test point's most influential training point left out, warm-started and from scratch.
rule parameter_change:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
        predicted=lambda wc: out(
            "influence",
            experiment(wc.exp)["loo"]["estimator"],
            f"{choosing_tests(wc.exp)[0]}.parquet",
        ).format(exp=wc.exp),
    output:
        changes=out("loo", "parameter_change.npz"),
        table=report(
            out("tables", "parameter_change.csv"),
            caption="../report/parameter_change_table.rst",
            category="{exp}",
            subcategory="Leave-one-out",
        ),
    log:
        out("logs", "parameter_change.log"),
    benchmark:
        out("benchmarks", "parameter_change.tsv")
    wildcard_constraints:
        exp=with_loo(*names.RETRAINING),
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=training_runtime,
        mem_mb=job_memory_mb,
    params:
        retrain=lambda wc: retrain_settings(wc.exp),
        training=lambda wc: experiment(wc.exp)["training"],
        code=library_code("parameter_change"),
    script:
        "../../scripts/parameter_change.py"
