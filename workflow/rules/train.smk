rule train:
    input:
        unpack(model_file),
        dataset=rules.dataset.output[0],
    output:
        model=out("model", "model.npz"),
        training_log=out("model", "training_log.csv"),
        summary=report(
            out("model", "summary.json"),
            caption="../report/model_summary.rst",
            category="{exp}",
            subcategory="Model",
        ),
        test_predictions=out("model", "test_predictions.parquet"),
        trajectory=out("model", "trajectory.npz"),
    log:
        out("logs", "train.log"),
    benchmark:
        out("benchmarks", "train.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    resources:
        gpu=lambda wc: int(trained_by_adam(wc.exp)),  # logistic regression is scikit-learn's
        runtime=training_runtime,
        mem_mb=job_memory_mb,
    params:
        model=lambda wc: experiment(wc.exp)["model"],
        training=lambda wc: experiment(wc.exp)["training"],
        code=library_code("train"),
    script:
        "../../scripts/train.py"


# One job per test point, reading only the model's predictions: adding a test point touches no other's files.
rule test_point:
    input:
        predictions=rules.train.output.test_predictions,
    output:
        out("test_points", "{test}.json"),
    log:
        out("logs", "test_points", "{test}.log"),
    benchmark:
        out("benchmarks", "test_points", "{test}.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        spec=lambda wc: test_point_spec(wc.exp, wc.test),
        code=library_code("test_point"),
    script:
        "../../scripts/test_point.py"


rule test_points:
    input:
        lambda wc: expand(
            rules.test_point.output[0], exp=wc.exp, test=test_names(wc.exp)
        ),
    output:
        out("test_points.csv"),
    log:
        out("logs", "test_points.log"),
    benchmark:
        out("benchmarks", "test_points.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        code=library_code("test_points"),
    script:
        "../../scripts/test_points.py"
