# The embedding space (thesis 4.2.5, 5.2-5.4): representations, metrics against actual influence, learned metric.


# Every representation of an experiment's model in one job (one rule per experiment, named e.g.
# embeddings_mnist_cnn): the layers are the model's (representations), so TensorFlow starts once for all.
for layers_exp in [exp for exp in EXPERIMENTS if embeddings_on(exp)]:

    rule:
        name:
            f"embeddings_{layers_exp}"
        input:
            dataset=rules.dataset.output[0].format(exp=layers_exp),
            model=rules.train.output.model.format(exp=layers_exp),
        output:
            expand(
                out("embeddings", "{layer}.npz"),
                exp=layers_exp,
                layer=representations(experiment(layers_exp)["model"]),
            ),
        log:
            out("logs", "embeddings.log").format(exp=layers_exp),
        benchmark:
            out("benchmarks", "embeddings.tsv").format(exp=layers_exp)
        conda:
            "../../envs/tensorflow.yaml"
        threads: 1
        params:
            code=library_code("embeddings"),
        script:
            "../../scripts/embeddings.py"


rule projector:
    input:
        dataset=rules.dataset.output[0],
        logits=out("embeddings", "logits.npz"),
        test_points=rules.test_points.output[0],
    output:
        directory(out("embeddings", "projector")),
    log:
        out("logs", "projector.log"),
    benchmark:
        out("benchmarks", "projector.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        code=library_code("projector"),
    script:
        "../../scripts/projector.py"


rule tsne:
    input:
        logits=out("embeddings", "logits.npz"),
        test_points=rules.test_points.output[0],
    output:
        out("embeddings", "tsne.parquet"),
    log:
        out("logs", "tsne.log"),
    benchmark:
        out("benchmarks", "tsne.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        tsne=lambda wc: experiment(wc.exp)["embeddings"]["tsne"],
        code=library_code("tsne"),
    script:
        "../../scripts/tsne.py"


rule embedding_metrics:
    input:
        dataset=rules.dataset.output[0],
        test_point=rules.test_point.output[0],
        layers=lambda wc: expand(
            out("embeddings", "{layer}.npz"),
            exp=wc.exp,
            layer=experiment(wc.exp)["embeddings"]["layers"],
        ),
        predicted=lambda wc: influence_files(wc.exp, "parquet", tests=[wc.test]),
        actual=rules.loo_gather.output[0],
    output:
        out("metrics", "{test}.parquet"),
    log:
        out("logs", "embedding_metrics_{test}.log"),
    benchmark:
        out("benchmarks", "embedding_metrics_{test}.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        covariance=lambda wc: experiment(wc.exp)["embeddings"]["covariance"],
        outlier_fraction=lambda wc: experiment(wc.exp)["embeddings"]["outlier_fraction"],
        estimator=lambda wc: experiment(wc.exp)["loo"]["estimator"],
        code=library_code("embedding_metrics"),
    script:
        "../../scripts/embedding_metrics.py"


rule embedding_tables:
    input:
        metrics=lambda wc: expand(
            rules.embedding_metrics.output[0], exp=wc.exp, test=test_names(wc.exp)
        ),
        lds=lambda wc: lds_table(wc.exp),
    output:
        correlations=report(
            out("tables", "embedding_correlations.csv"),
            caption="../report/embedding_correlations.rst",
            category="{exp}",
            subcategory="Embedding space",
        ),
        table=report(
            out("tables", "table_5_1.csv"),
            caption="../report/table_5_1.rst",
            category="{exp}",
            subcategory="Embedding space",
        ),
        markdown=out("tables", "table_5_1.md"),
        overlap=report(
            out("tables", "mahalanobis_overlap.csv"),
            caption="../report/mahalanobis_overlap.rst",
            category="{exp}",
            subcategory="Embedding space",
        ),
    log:
        out("logs", "embedding_tables.log"),
    benchmark:
        out("benchmarks", "embedding_tables.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        bootstrap=lambda wc: experiment(wc.exp)["embeddings"]["bootstrap"],
        layer=lambda wc: experiment(wc.exp)["embeddings"]["table_layer"],
        estimators=lambda wc: estimators(wc.exp),
        code=library_code("embedding_tables"),
    script:
        "../../scripts/embedding_tables.py"


# The learned metric of every test point of an experiment in one job, so that TensorFlow starts once (one rule per
# experiment, named e.g. learned_metric_mnist_cnn); a new test point's retrained models change every test point's
# data anyway (above).
for metric_exp in [exp for exp in EXPERIMENTS if embeddings_on(exp)]:
    metric_tests = test_names(metric_exp)

    rule:
        name:
            f"learned_metric_{metric_exp}"
        input:
            dataset=rules.dataset.output[0].format(exp=metric_exp),
            metrics=expand(
                rules.embedding_metrics.output[0], exp=metric_exp, test=metric_tests
            ),
            layer=out(
                "embeddings",
                f"{experiment(metric_exp)['embeddings']['ann']['layer']}.npz",
            ).format(exp=metric_exp),
        output:
            predictions=expand(
                out("learned_metric", "{test}.parquet"),
                exp=metric_exp,
                test=metric_tests,
            ),
            history=expand(
                out("learned_metric", "{test}_history.csv"),
                exp=metric_exp,
                test=metric_tests,
            ),
            summaries=[
                report(
                    out("learned_metric", f"{test}.json").format(exp=metric_exp),
                    caption="../report/learned_metric_summary.rst",
                    category=metric_exp,
                    subcategory=f"Embedding space: {test}",
                )
                for test in metric_tests
            ],
        log:
            out("logs", "learned_metric.log").format(exp=metric_exp),
        benchmark:
            out("benchmarks", "learned_metric.tsv").format(exp=metric_exp)
        conda:
            "../../envs/tensorflow.yaml"
        threads: 1
        params:
            ann=experiment(metric_exp)["embeddings"]["ann"],
            code=library_code("learned_metric"),
        script:
            "../../scripts/learned_metric.py"


rule plot_embeddings:
    input:
        dataset=rules.dataset.output[0],
        test_point=rules.test_point.output[0],
        metrics=rules.embedding_metrics.output[0],
        predictions=out("learned_metric", "{test}.parquet"),
        history=out("learned_metric", "{test}_history.csv"),
    output:
        **{name: embedding_figure(name) for name in names.EMBEDDING_FIGURES},
    log:
        out("logs", "plot_embeddings_{test}.log"),
    benchmark:
        out("benchmarks", "plot_embeddings_{test}.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        layer=lambda wc: experiment(wc.exp)["embeddings"]["table_layer"],
        figures=lambda wc: experiment(wc.exp)["figures"],
        code=library_code("plot_embeddings"),
    script:
        "../../scripts/plot_embeddings.py"


rule plot_tsne:
    input:
        tsne=rules.tsne.output[0],
    output:
        report(
            out("figures", "embedding", "tsne.png"),
            caption="../report/embedding_tsne.rst",
            category="{exp}",
            subcategory="Embedding space",
        ),
    log:
        out("logs", "plot_tsne.log"),
    benchmark:
        out("benchmarks", "plot_tsne.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        figures=lambda wc: experiment(wc.exp)["figures"],
        code=library_code("plot_tsne"),
    script:
        "../../scripts/plot_tsne.py"
