rule train_gradients:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
    output:
        out("influence", "train_gradients.npz"),
    log:
        out("logs", "train_gradients.log"),
    benchmark:
        out("benchmarks", "train_gradients.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    script:
        "../../scripts/train_gradients.py"


rule hessian:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
    output:
        factorised=out("hessian", "hessian.npz"),
        spectrum=report(
            out("hessian", "spectrum.json"),
            caption="../report/spectrum.rst",
            category="{exp}",
            subcategory="Hessian",
        ),
    log:
        out("logs", "hessian.log"),
    benchmark:
        out("benchmarks", "hessian.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    params:
        damping=lambda wc: experiment(wc.exp)["influence"]["damping"],
    script:
        "../../scripts/hessian.py"


rule influence:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
        test_points=rules.test_points.output[0],
        train_gradients=rules.train_gradients.output[0],
        hessian=rules.hessian.output.factorised,
    output:
        out("influence", "{estimator}", "{test}.parquet"),
    log:
        out("logs", "influence", "{estimator}", "{test}.log"),
    benchmark:
        out("benchmarks", "influence", "{estimator}", "{test}.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    script:
        "../../scripts/influence.py"
