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
    conda:
        "../../envs/tensorflow.yaml"
    params:
        training=lambda wc: experiment(wc.exp)["training"],
    script:
        "../../scripts/loo_refit.py"
