rule derivatives:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
    output:
        train_gradients=out("influence", "train_gradients.npz"),
        factorised=out("hessian", "hessian.npz"),
        spectrum=report(
            out("hessian", "spectrum.json"),
            caption="../report/spectrum.rst",
            category="{exp}",
            subcategory="Hessian",
        ),
    log:
        out("logs", "derivatives.log"),
    benchmark:
        out("benchmarks", "derivatives.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        settings=lambda wc: settings_of(wc.exp, names.EXACT),
        code=library_code("derivatives"),
    script:
        "../../scripts/derivatives.py"


# One job per estimator and test point; it reads that test point's own record and that estimator's settings only.
# Influence functions here, trajectory estimators below: neither job's code holds the other's. The estimators that
# are cheap per test point (names.ONE_JOB_ESTIMATORS) get one job per experiment instead, after these two rules.
rule influence:
    input:
        unpack(influence_inputs),
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
        test_points=[rules.test_point.output[0]],
    output:
        tables=[out("influence", "{estimator}", "{test}.parquet")],
        diagnostics=[out("influence", "{estimator}", "{test}.json")],
    log:
        out("logs", "influence", "{estimator}", "{test}.log"),
    benchmark:
        out("benchmarks", "influence", "{estimator}", "{test}.tsv")
    wildcard_constraints:
        estimator=per_test_point(names.INFLUENCE_FUNCTIONS),
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        estimator=lambda wc: wc.estimator,
        settings=estimator_settings,
        code=library_code("influence"),
    script:
        "../../scripts/influence.py"


rule trajectory_influence:
    input:
        unpack(influence_inputs),
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
        test_points=[rules.test_point.output[0]],
    output:
        tables=[out("influence", "{estimator}", "{test}.parquet")],
        diagnostics=[out("influence", "{estimator}", "{test}.json")],
    log:
        out("logs", "influence", "{estimator}", "{test}.log"),
    benchmark:
        out("benchmarks", "influence", "{estimator}", "{test}.tsv")
    wildcard_constraints:
        estimator=per_test_point(names.TRAJECTORY_ESTIMATORS),
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        estimator=lambda wc: wc.estimator,
        settings=estimator_settings,
        code=library_code("trajectory_influence"),
    script:
        "../../scripts/trajectory_influence.py"


# One rule per experiment and cheap estimator (named e.g. exact_mnist_cnn): every test point of the experiment in
# one job, which rewrites them all when a test point is added; its family's script (ESTIMATOR_SCRIPTS; TRAK always
# runs here).
for one_exp, one_estimator in one_job_estimators():
    one_script = ESTIMATOR_SCRIPTS[one_estimator]

    rule:
        name:
            f"{one_estimator}_{one_exp}"
        input:
            **estimator_inputs(one_exp, one_estimator),
            dataset=rules.dataset.output[0].format(exp=one_exp),
            model=rules.train.output.model.format(exp=one_exp),
            test_points=expand(
                rules.test_point.output[0], exp=one_exp, test=test_names(one_exp)
            ),
        output:
            tables=influence_files(one_exp, "parquet", estimator=one_estimator),
            diagnostics=influence_files(one_exp, "json", estimator=one_estimator),
        log:
            out("logs", "influence", f"{one_estimator}.log").format(exp=one_exp),
        benchmark:
            out("benchmarks", "influence", f"{one_estimator}.tsv").format(exp=one_exp)
        conda:
            "../../envs/tensorflow.yaml"
        threads: 1
        params:
            estimator=one_estimator,
            settings=settings_of(one_exp, one_estimator),
            script=one_script,
            code=library_code(one_script),
        script:
            # from params: a path that names the loop's variable would read it when the job runs, after the loop
            "../../scripts/{params.script}.py"


# Every (test, training) pair of the test split (influence.all_pairs), split as the influence jobs are.
rule all_pairs:
    input:
        unpack(influence_inputs),
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
    output:
        out("influence", "all_pairs", "{estimator}.npz"),
    log:
        out("logs", "all_pairs", "{estimator}.log"),
    benchmark:
        out("benchmarks", "all_pairs", "{estimator}.tsv")
    wildcard_constraints:
        estimator=names.EXACT,
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        estimator=lambda wc: wc.estimator,
        settings=estimator_settings,
        code=library_code("all_pairs"),
    script:
        "../../scripts/all_pairs.py"


rule trajectory_all_pairs:
    input:
        unpack(influence_inputs),
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
    output:
        out("influence", "all_pairs", "{estimator}.npz"),
    log:
        out("logs", "all_pairs", "{estimator}.log"),
    benchmark:
        out("benchmarks", "all_pairs", "{estimator}.tsv")
    wildcard_constraints:
        estimator="|".join(names.TRAJECTORY_ESTIMATORS),
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        estimator=lambda wc: wc.estimator,
        settings=estimator_settings,
        code=library_code("trajectory_all_pairs"),
    script:
        "../../scripts/trajectory_all_pairs.py"
