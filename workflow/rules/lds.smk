# The linear datamodeling score: models on random subsets of the training set, trained in chunk jobs named after the
# subsets they hold, so that more subsets only add chunks; each model's parameters are stored, so a new test point
# or objective is evaluated, never retrained.
rule lds_chunk:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
    output:
        out("lds", "chunks", "{subsets}.parquet"),
    log:
        out("logs", "lds", "{subsets}.log"),
    benchmark:
        out("benchmarks", "lds", "{subsets}.tsv")
    wildcard_constraints:
        exp=with_lds(),
        subsets=LDS_CHUNK_PATTERN,
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    resources:
        gpu=lambda wc: int(trained_by_adam(wc.exp)),  # logistic regression is scikit-learn's
        runtime=lds_chunk_runtime,
        mem_mb=job_memory_mb,
    params:
        settings=lambda wc: contract.lds_training(experiment(wc.exp)),
        code=library_code("lds_chunk"),
    script:
        "../../scripts/lds_chunk.py"


rule lds:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
        chunks=lds_chunks,
        test_points=lambda wc: expand(
            rules.test_point.output[0], exp=wc.exp, test=test_names(wc.exp)
        ),
        predicted=lambda wc: influence_files(wc.exp, "parquet"),
    output:
        values=out("lds", "values.parquet"),
        table=report(
            out("tables", "lds.csv"),
            caption="../report/lds.rst",
            category="{exp}",
            subcategory="Linear datamodeling score",
        ),
    log:
        out("logs", "lds.log"),
    benchmark:
        out("benchmarks", "lds.tsv")
    wildcard_constraints:
        exp=with_lds(),
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        code=library_code("lds"),
    script:
        "../../scripts/lds.py"
