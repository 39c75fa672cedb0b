rule evaluate:
    input:
        dataset=rules.dataset.output[0],
        actual=rules.loo_gather.output[0],
        predicted=lambda wc: influence_files(wc.exp, "parquet"),
        lds=lambda wc: lds_table(wc.exp),
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
        "../../envs/analysis.yaml"
    threads: 1
    params:
        code=library_code("evaluate"),
    script:
        "../../scripts/evaluate.py"


rule compare_estimators:
    input:
        tables=lambda wc: influence_files(wc.exp, "parquet"),
        diagnostics=lambda wc: influence_files(wc.exp, "json"),
    output:
        report(
            out("tables", "estimators.csv"),
            caption="../report/estimators.rst",
            category="{exp}",
            subcategory="Influence estimators",
        ),
    log:
        out("logs", "compare_estimators.log"),
    benchmark:
        out("benchmarks", "compare_estimators.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        code=library_code("compare_estimators"),
    script:
        "../../scripts/compare_estimators.py"
