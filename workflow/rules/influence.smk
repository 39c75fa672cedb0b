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
    threads: 1
    params:
        batch_size=lambda wc: experiment(wc.exp)["influence"]["batch_size"],
        code=library_code("train_gradients"),
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
    threads: 1
    params:
        damping=lambda wc: experiment(wc.exp)["influence"]["damping"],
        batch_size=lambda wc: experiment(wc.exp)["influence"]["batch_size"],
        code=library_code("hessian"),
    script:
        "../../scripts/hessian.py"


# One job per estimator and test point; it reads that test point's own record and that estimator's settings only.
# Influence functions here, trajectory estimators below: neither job's code holds the other's.
rule influence:
    input:
        unpack(influence_inputs),
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
        test_point=rules.test_point.output[0],
    output:
        table=out("influence", "{estimator}", "{test}.parquet"),
        diagnostics=out("influence", "{estimator}", "{test}.json"),
    log:
        out("logs", "influence", "{estimator}", "{test}.log"),
    benchmark:
        out("benchmarks", "influence", "{estimator}", "{test}.tsv")
    wildcard_constraints:
        estimator=name_pattern(names.INFLUENCE_FUNCTIONS),
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        settings=estimator_settings,
        code=library_code("influence"),
    script:
        "../../scripts/influence.py"


rule trajectory_influence:
    input:
        unpack(influence_inputs),
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
        test_point=rules.test_point.output[0],
    output:
        table=out("influence", "{estimator}", "{test}.parquet"),
        diagnostics=out("influence", "{estimator}", "{test}.json"),
    log:
        out("logs", "influence", "{estimator}", "{test}.log"),
    benchmark:
        out("benchmarks", "influence", "{estimator}", "{test}.tsv")
    wildcard_constraints:
        estimator=name_pattern(names.TRAJECTORY_ESTIMATORS),
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        settings=estimator_settings,
        code=library_code("trajectory_influence"),
    script:
        "../../scripts/trajectory_influence.py"


rule all_pairs:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
        train_gradients=rules.train_gradients.output[0],
        hessian=rules.hessian.output.factorised,
    output:
        out("influence", "all_pairs.npz"),
    log:
        out("logs", "all_pairs.log"),
    benchmark:
        out("benchmarks", "all_pairs.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        batch_size=lambda wc: experiment(wc.exp)["influence"]["batch_size"],
        code=library_code("all_pairs"),
    script:
        "../../scripts/all_pairs.py"
