rule plot_dataset:
    input:
        dataset=rules.dataset.output[0],
        model=rules.train.output.model,
        test_points=rules.test_points.output[0],
    output:
        report(
            out("figures", "dataset.png"),
            caption="../report/dataset.rst",
            category="{exp}",
            subcategory="Data",
        ),
    log:
        out("logs", "plot_dataset.log"),
    benchmark:
        out("benchmarks", "plot_dataset.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        figures=lambda wc: experiment(wc.exp)["figures"],
        code=library_code("plot_dataset"),
    script:
        "../../scripts/plot_dataset.py"


rule plot_influence_vs_loo:
    input:
        dataset=rules.dataset.output[0],
        joined=rules.evaluate.output.joined,
        agreement=rules.evaluate.output.agreement,
        test_points=rules.test_points.output[0],
    output:
        report(
            out("figures", "influence_vs_loo_{estimator}.png"),
            caption="../report/influence_vs_loo.rst",
            category="{exp}",
            subcategory="Influence vs leave-one-out",
        ),
    log:
        out("logs", "plot_influence_vs_loo_{estimator}.log"),
    benchmark:
        out("benchmarks", "plot_influence_vs_loo_{estimator}.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        figures=lambda wc: experiment(wc.exp)["figures"],
        code=library_code("plot_influence_vs_loo"),
    script:
        "../../scripts/plot_influence_vs_loo.py"


rule plot_training:
    input:
        rules.train.output.training_log,
    output:
        report(
            out("figures", "training.png"),
            caption="../report/training.rst",
            category="{exp}",
            subcategory="Model",
        ),
    log:
        out("logs", "plot_training.log"),
    benchmark:
        out("benchmarks", "plot_training.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        figures=lambda wc: experiment(wc.exp)["figures"],
        code=library_code("plot_training"),
    script:
        "../../scripts/plot_training.py"


rule plot_parameter_change:
    input:
        rules.parameter_change.output.changes,
    output:
        report(
            out("figures", "parameter_change.png"),
            caption="../report/parameter_change.rst",
            category="{exp}",
            subcategory="Leave-one-out",
        ),
    log:
        out("logs", "plot_parameter_change.log"),
    benchmark:
        out("benchmarks", "plot_parameter_change.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        figures=lambda wc: experiment(wc.exp)["figures"],
        code=library_code("plot_parameter_change"),
    script:
        "../../scripts/plot_parameter_change.py"
