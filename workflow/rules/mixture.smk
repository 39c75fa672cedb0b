# Cross-loss influence on a Gaussian mixture (config `mixtures:`): every point is a training and a test point, so
# the estimates and the leave-one-out ground truth are one matrix each, per model, not one file per test point.


rule mixture_data:
    output:
        mix_out("data", "mixture.npz"),
    log:
        mix_out("logs", "mixture_data.log"),
    benchmark:
        mix_out("benchmarks", "mixture_data.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        data=lambda wc: mixture_settings(wc.mix)["data"],
        code=library_code("mixture_data"),
    script:
        "../../scripts/mixture_data.py"


# Fits, influence and refits are numpy (models.gaussian_mixture) and never load TensorFlow (tests/test_mixture.py);
# they run in the TensorFlow env because the estimator code they share with every model can reach it.
rule mixture_fit:
    input:
        rules.mixture_data.output[0],
    output:
        fit=mix_out("{model}", "fit.npz"),
        record=mix_out("{model}", "fit.json"),
    log:
        mix_out("logs", "mixture_fit_{model}.log"),
    benchmark:
        mix_out("benchmarks", "mixture_fit_{model}.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        fit=lambda wc: mixture_settings(wc.mix)["fit"],
        l2=lambda wc: mixture_settings(wc.mix)["l2"][wc.model],
        code=library_code("mixture_fit"),
    script:
        "../../scripts/mixture_fit.py"


rule mixture_influence:
    input:
        data=rules.mixture_data.output[0],
        fit=rules.mixture_fit.output.fit,
    output:
        mix_out("{model}", "influence.npz"),
    log:
        mix_out("logs", "mixture_influence_{model}.log"),
    benchmark:
        mix_out("benchmarks", "mixture_influence_{model}.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        l2=lambda wc: mixture_settings(wc.mix)["l2"][wc.model],
        code=library_code("mixture_influence"),
    script:
        "../../scripts/mixture_influence.py"


rule mixture_loo:
    input:
        data=rules.mixture_data.output[0],
        fit=rules.mixture_fit.output.fit,
    output:
        mix_out("{model}", "loo.npz"),
    log:
        mix_out("logs", "mixture_loo_{model}.log"),
    benchmark:
        mix_out("benchmarks", "mixture_loo_{model}.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        fit=lambda wc: mixture_settings(wc.mix)["fit"],
        l2=lambda wc: mixture_settings(wc.mix)["l2"][wc.model],
        code=library_code("mixture_loo"),
    script:
        "../../scripts/mixture_loo.py"


rule mixture_evaluate:
    input:
        data=rules.mixture_data.output[0],
        influence=mixture_models(rules.mixture_influence.output[0]),
        loo=mixture_models(rules.mixture_loo.output[0]),
    output:
        agreement=report(
            mix_out("tables", "mixture_agreement.csv"),
            caption="../report/mixture_agreement.rst",
            category="{mix}",
            subcategory="Cross-loss influence",
        ),
        summary=report(
            mix_out("tables", "mixture_summary.csv"),
            caption="../report/mixture_summary.rst",
            category="{mix}",
            subcategory="Cross-loss influence",
        ),
    log:
        mix_out("logs", "mixture_evaluate.log"),
    benchmark:
        mix_out("benchmarks", "mixture_evaluate.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        code=library_code("mixture_evaluate"),
    script:
        "../../scripts/mixture_evaluate.py"


rule plot_mixture:
    input:
        data=rules.mixture_data.output[0],
        fit=mixture_models(rules.mixture_fit.output.fit),
        influence=mixture_models(rules.mixture_influence.output[0]),
        loo=mixture_models(rules.mixture_loo.output[0]),
        agreement=rules.mixture_evaluate.output.agreement,
    output:
        influential=report(
            mix_out("figures", "mixture_influential.png"),
            caption="../report/mixture_influential.rst",
            category="{mix}",
            subcategory="Cross-loss influence",
        ),
        pred_vs_actual=report(
            mix_out("figures", "mixture_pred_vs_actual.png"),
            caption="../report/mixture_pred_vs_actual.rst",
            category="{mix}",
            subcategory="Cross-loss influence",
        ),
        correlations=report(
            mix_out("figures", "mixture_correlations.png"),
            caption="../report/mixture_correlations.rst",
            category="{mix}",
            subcategory="Cross-loss influence",
        ),
    log:
        mix_out("logs", "plot_mixture.log"),
    benchmark:
        mix_out("benchmarks", "plot_mixture.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        figures=lambda wc: mixture_settings(wc.mix)["figures"],
        code=library_code("plot_mixture"),
    script:
        "../../scripts/plot_mixture.py"
