rule train:
    input:
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
    log:
        out("logs", "train.log"),
    benchmark:
        out("benchmarks", "train.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    resources:
        gpu=1,
        runtime=training_runtime,
        mem_mb=job_memory_mb,
    params:
        model=lambda wc: experiment(wc.exp)["model"],
        training=lambda wc: experiment(wc.exp)["training"],
    script:
        "../../scripts/train.py"


rule test_points:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
    output:
        out("test_points.csv"),
    log:
        out("logs", "test_points.log"),
    benchmark:
        out("benchmarks", "test_points.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    params:
        test_points=lambda wc: experiment(wc.exp)["test_points"],
    script:
        "../../scripts/test_points.py"
