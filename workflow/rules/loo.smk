rule loo_refit:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
        test_points=rules.test_points.output[0],
    output:
        out("loo", "actual.parquet"),
    log:
        out("logs", "loo_refit.log"),
    benchmark:
        out("benchmarks", "loo_refit.tsv")
    wildcard_constraints:
        exp=with_loo("refit"),
    conda:
        "../../envs/tensorflow.yaml"
    params:
        training=lambda wc: experiment(wc.exp)["training"],
    script:
        "../../scripts/loo_refit.py"


rule loo_select:
    input:
        predicted=lambda wc: expand(
            out("influence", "{estimator}", "{test}.parquet"),
            exp=wc.exp,
            estimator=experiment(wc.exp)["loo"]["estimator"],
            test=test_names(wc.exp),
        ),
    output:
        report(
            out("loo", "selected.csv"),
            caption="../report/selected.rst",
            category="{exp}",
            subcategory="Leave-one-out",
        ),
    log:
        out("logs", "loo_select.log"),
    benchmark:
        out("benchmarks", "loo_select.tsv")
    wildcard_constraints:
        exp=with_loo("warm_start", "reset"),
    conda:
        "../../envs/plotting.yaml"
    params:
        k=lambda wc: experiment(wc.exp)["loo"]["k"],
    script:
        "../../scripts/loo_select.py"


rule loo_chunk:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
        test_points=rules.test_points.output[0],
        predicted=lambda wc: out(
            "influence", experiment(wc.exp)["loo"]["estimator"], f"{wc.test}.parquet"
        ).format(exp=wc.exp),
    output:
        out("loo", "chunks", "{test}", "ranks_{start}.parquet"),
    log:
        out("logs", "loo", "{test}", "ranks_{start}.log"),
    benchmark:
        out("benchmarks", "loo", "{test}", "ranks_{start}.tsv")
    wildcard_constraints:
        exp=with_loo("warm_start", "reset"),
    conda:
        "../../envs/tensorflow.yaml"
    resources:
        gpu=1,
        runtime=loo_chunk_runtime,
        mem_mb=job_memory_mb,
    params:
        loo=lambda wc: experiment(wc.exp)["loo"],
        training=lambda wc: experiment(wc.exp)["training"],
    script:
        "../../scripts/loo_chunk.py"


rule loo_gather:
    input:
        lambda wc: loo_chunks(wc.exp),
    output:
        out("loo", "actual.parquet"),
    log:
        out("logs", "loo_gather.log"),
    benchmark:
        out("benchmarks", "loo_gather.tsv")
    wildcard_constraints:
        exp=with_loo("warm_start", "reset"),
    conda:
        "../../envs/plotting.yaml"
    script:
        "../../scripts/loo_gather.py"
