rule evaluate:
    input:
        dataset=rules.dataset.output[0],
        actual=rules.loo_refit.output[0],
        predicted=lambda wc: expand(
            out("influence", "{estimator}", "{test}.parquet"),
            exp=wc.exp,
            estimator=estimators(wc.exp),
            test=test_names(wc.exp),
        ),
    output:
        joined=out("tables", "influence_vs_loo.parquet"),
        agreement=report(
            out("tables", "agreement.csv"),
            caption="../report/agreement.rst",
            category="{exp}",
            subcategory="Influence vs leave-one-out",
        ),
    log:
        out("logs", "evaluate.log"),
    benchmark:
        out("benchmarks", "evaluate.tsv")
    conda:
        "../../envs/plotting.yaml"
    script:
        "../../scripts/evaluate.py"
