# Finding mislabelled training points (config `mislabel:`): rank every training point by each ranker (self-influence
# or the predicted change of a clean split's loss); with dataset.label_noise, score the rankings against the flipped
# labels and train again with each ranking's top share fixed, its finds restored or its points dropped (a refit for
# logistic regression; for the all-CNN the same initialisation and minibatches).


rule mislabel_rank:
    input:
        unpack(ranker_inputs),
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
    output:
        out("mislabel", "{ranker}.parquet"),
    log:
        out("logs", "mislabel", "{ranker}.log"),
    benchmark:
        out("benchmarks", "mislabel", "{ranker}.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        settings=ranker_settings,
        clean=lambda wc: experiment(wc.exp)["mislabel"]["clean"],
        code=library_code("mislabel_rank"),
    script:
        "../../scripts/mislabel_rank.py"


rule mislabel_evaluate:
    input:
        dataset=rules.dataset.output[0],
        rankings=mislabel_rankings,
    output:
        summary=report(
            out("tables", "mislabel.csv"),
            caption="../report/mislabel.rst",
            category="{exp}",
            subcategory="Mislabelled points",
        ),
        curves=out("tables", "mislabel_found.csv"),
    log:
        out("logs", "mislabel_evaluate.log"),
    benchmark:
        out("benchmarks", "mislabel_evaluate.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        inspect=lambda wc: experiment(wc.exp)["mislabel"]["inspect"],
        code=library_code("mislabel_evaluate"),
    script:
        "../../scripts/mislabel_evaluate.py"


rule mislabel_fix:
    input:
        dataset=rules.dataset.output[0],
        rankings=mislabel_rankings,
    output:
        report(
            out("tables", "mislabel_fix.csv"),
            caption="../report/mislabel_fix.rst",
            category="{exp}",
            subcategory="Mislabelled points",
        ),
    log:
        out("logs", "mislabel_fix.log"),
    benchmark:
        out("benchmarks", "mislabel_fix.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    resources:
        gpu=lambda wc: int(trained_by_adam(wc.exp)),
        runtime=lambda wc: fix_trainings(wc.exp) * training_runtime(wc),
        mem_mb=job_memory_mb,
    params:
        share=lambda wc: experiment(wc.exp)["mislabel"]["fix"],
        protocols=lambda wc: experiment(wc.exp)["mislabel"]["protocols"],
        model=lambda wc: experiment(wc.exp)["model"],
        training=lambda wc: experiment(wc.exp)["training"],
        code=library_code("mislabel_fix"),
    script:
        "../../scripts/mislabel_fix.py"


rule plot_mislabel:
    input:
        summary=rules.mislabel_evaluate.output.summary,
        curves=rules.mislabel_evaluate.output.curves,
        fixes=rules.mislabel_fix.output[0],
    output:
        report(
            out("figures", "mislabel.png"),
            caption="../report/mislabel_figure.rst",
            category="{exp}",
            subcategory="Mislabelled points",
        ),
    log:
        out("logs", "plot_mislabel.log"),
    benchmark:
        out("benchmarks", "plot_mislabel.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        inspect=lambda wc: experiment(wc.exp)["mislabel"]["inspect"],
        figures=lambda wc: experiment(wc.exp)["figures"],
        code=library_code("plot_mislabel"),
    script:
        "../../scripts/plot_mislabel.py"
