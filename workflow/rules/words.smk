# Cross-loss influence on word embeddings (config `word_embeddings:`): a Skip-gram model of a corpus' units
# (sentences or documents), objectives on its word vectors, every unit's predicted effect on them, and the units
# that matter most retrained away, as the all-CNN's points are.


rule word_corpus:
    input:
        corpus_source,
    output:
        corpus=word_out("corpus", "corpus.npz"),
        pairs=word_out("corpus", "pairs.npz"),
        summary=word_out("corpus", "summary.json"),
    log:
        word_out("logs", "word_corpus.log"),
    benchmark:
        word_out("benchmarks", "word_corpus.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        corpus=lambda wc: word_settings(wc.word)["corpus"],
        pairs=lambda wc: contract.word_pairs(word_settings(wc.word)),
        code=library_code("word_corpus"),
    script:
        "../../scripts/word_corpus.py"


# Objectives are resolved against the vocabulary apart from training, so changing one retrains nothing.
rule word_objectives:
    input:
        rules.word_corpus.output.corpus,
    output:
        word_out("objectives.json"),
    log:
        word_out("logs", "word_objectives.log"),
    benchmark:
        word_out("benchmarks", "word_objectives.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        objectives=lambda wc: word_settings(wc.word)["objectives"],
        code=library_code("word_objectives"),
    script:
        "../../scripts/word_objectives.py"


rule word_train:
    input:
        summary=rules.word_corpus.output.summary,
        pairs=rules.word_corpus.output.pairs,
    output:
        model=word_out("model", "model.npz"),
        trajectory=word_out("model", "trajectory.npz"),
        training_log=word_out("model", "training_log.csv"),
        summary=word_out("model", "summary.json"),
    log:
        word_out("logs", "word_train.log"),
    benchmark:
        word_out("benchmarks", "word_train.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    resources:
        gpu=1,
    params:
        model=lambda wc: contract.word_model(word_settings(wc.word)),
        training=lambda wc: word_settings(wc.word)["training"],
        code=library_code("word_train"),
    script:
        "../../scripts/word_train.py"


rule word_influence:
    input:
        corpus=rules.word_corpus.output.corpus,
        pairs=rules.word_corpus.output.pairs,
        objectives=rules.word_objectives.output[0],
        model=rules.word_train.output.model,
        trajectory=word_trajectory,
    output:
        table=word_out("influence", "{word_estimator}.parquet"),
        diagnostics=word_out("influence", "{word_estimator}.json"),
    log:
        word_out("logs", "word_influence_{word_estimator}.log"),
    benchmark:
        word_out("benchmarks", "word_influence_{word_estimator}.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    params:
        settings=lambda wc: contract.estimator(
            word_settings(wc.word), wc.word_estimator
        ),
        code=library_code("word_influence"),
    script:
        "../../scripts/word_influence.py"


checkpoint word_loo_select:
    input:
        predicted=lambda wc: expand(
            rules.word_influence.output.table,
            word=wc.word,
            word_estimator=word_settings(wc.word)["loo"]["estimator"],
        ),
    output:
        selected=word_out("loo", "selected.csv"),
        plan=word_out("loo", "plan.csv"),
    log:
        word_out("logs", "word_loo_select.log"),
    benchmark:
        word_out("benchmarks", "word_loo_select.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        k=lambda wc: word_settings(wc.word)["loo"]["k"],
        chunk_size=lambda wc: word_settings(wc.word)["loo"]["chunk_size"],
        chunks=lambda wc: word_out("loo", "chunks").format(word=wc.word),
        code=library_code("loo_select"),
    script:
        "../../scripts/loo_select.py"


rule word_loo_chunk:
    input:
        summary=rules.word_corpus.output.summary,
        pairs=rules.word_corpus.output.pairs,
        model=rules.word_train.output.model,
    output:
        word_out("loo", "chunks", "{chunk}.parquet"),
    log:
        word_out("logs", "loo", "{chunk}.log"),
    benchmark:
        word_out("benchmarks", "loo", "{chunk}.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=word_chunk_runtime,
    params:
        positions=word_chunk_positions,
        retrain=lambda wc: contract.retraining(word_settings(wc.word)),
        training=lambda wc: word_settings(wc.word)["training"],
        code=library_code("word_loo_chunk"),
    script:
        "../../scripts/word_loo_chunk.py"


rule word_loo_gather:
    input:
        chunks=lambda wc: word_chunks(wc.word),
        selected=lambda wc: checkpoints.word_loo_select.get(
            word=wc.word
        ).output.selected,
        corpus=rules.word_corpus.output.corpus,
        objectives=rules.word_objectives.output[0],
        model=rules.word_train.output.model,
    output:
        word_out("loo", "actual.parquet"),
    log:
        word_out("logs", "word_loo_gather.log"),
    benchmark:
        word_out("benchmarks", "word_loo_gather.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        code=library_code("word_loo_gather"),
    script:
        "../../scripts/word_loo_gather.py"


rule word_evaluate:
    input:
        predicted=lambda wc: expand(
            rules.word_influence.output.table,
            word=wc.word,
            word_estimator=word_settings(wc.word)["influence"]["estimators"],
        ),
        actual=rules.word_loo_gather.output[0],
    output:
        report(
            word_out("tables", "agreement.csv"),
            caption="../report/word_agreement.rst",
            category="{word}",
            subcategory="Word embeddings",
        ),
    log:
        word_out("logs", "word_evaluate.log"),
    benchmark:
        word_out("benchmarks", "word_evaluate.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        code=library_code("word_evaluate"),
    script:
        "../../scripts/word_evaluate.py"


rule word_units:
    input:
        source=rules.word_corpus.input[0],
        corpus=rules.word_corpus.output.corpus,
        predicted=lambda wc: expand(
            rules.word_influence.output.table,
            word=wc.word,
            word_estimator=word_settings(wc.word)["influence"]["estimators"],
        ),
        actual=measured_units,
    output:
        report(
            word_out("tables", "influential_units.csv"),
            caption="../report/word_units.rst",
            category="{word}",
            subcategory="Word embeddings",
        ),
    log:
        word_out("logs", "word_units.log"),
    benchmark:
        word_out("benchmarks", "word_units.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        corpus=lambda wc: word_settings(wc.word)["corpus"],
        top=lambda wc: word_settings(wc.word)["figures"]["top"],
        code=library_code("word_units"),
    script:
        "../../scripts/word_units.py"


rule plot_words:
    input:
        predicted=rules.word_evaluate.input.predicted,
        actual=rules.word_loo_gather.output[0],
        agreement=rules.word_evaluate.output[0],
    output:
        report(
            word_out("figures", "pred_vs_actual.png"),
            caption="../report/word_pred_vs_actual.rst",
            category="{word}",
            subcategory="Word embeddings",
        ),
    log:
        word_out("logs", "plot_words.log"),
    benchmark:
        word_out("benchmarks", "plot_words.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        dpi=lambda wc: word_settings(wc.word)["figures"]["dpi"],
        code=library_code("plot_words"),
    script:
        "../../scripts/plot_words.py"


rule word_group_select:
    input:
        predicted=lambda wc: rules.word_influence.output.table.format(
            word=wc.word, word_estimator=word_settings(wc.word)["groups"]["estimator"]
        ),
    output:
        word_out("groups", "sets.parquet"),
    log:
        word_out("logs", "word_group_select.log"),
    benchmark:
        word_out("benchmarks", "word_group_select.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        sets=lambda wc: contract.word_group_sets(word_settings(wc.word)),
        code=library_code("word_group_select"),
    script:
        "../../scripts/word_group_select.py"


rule word_group_retrain:
    input:
        summary=rules.word_corpus.output.summary,
        pairs=rules.word_corpus.output.pairs,
        model=rules.word_train.output.model,
        sets=rules.word_group_select.output[0],
    output:
        word_out("groups", "runs", "{group_run}.parquet"),
    log:
        word_out("logs", "groups", "{group_run}.log"),
    benchmark:
        word_out("benchmarks", "groups", "{group_run}.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    resources:
        gpu=1,
        runtime=word_group_runtime,
    params:
        retrain=lambda wc: contract.word_group_run(word_settings(wc.word), wc.group_run),
        training=lambda wc: word_settings(wc.word)["training"],
        code=library_code("word_group_retrain"),
    script:
        "../../scripts/word_group_retrain.py"


rule word_groups:
    input:
        sets=rules.word_group_select.output[0],
        runs=word_group_run_files,
        predicted=rules.word_evaluate.input.predicted,
        corpus=rules.word_corpus.output.corpus,
        pairs=rules.word_corpus.output.pairs,
        objectives=rules.word_objectives.output[0],
        model=rules.word_train.output.model,
    output:
        actual=word_out("groups", "actual.parquet"),
        table=report(
            word_out("tables", "groups.csv"),
            caption="../report/word_groups.rst",
            category="{word}",
            subcategory="Word embeddings",
        ),
        agreement=report(
            word_out("tables", "group_agreement.csv"),
            caption="../report/word_group_agreement.rst",
            category="{word}",
            subcategory="Word embeddings",
        ),
    log:
        word_out("logs", "word_groups.log"),
    benchmark:
        word_out("benchmarks", "word_groups.tsv")
    conda:
        "../../envs/tensorflow.yaml"  # the Skip-gram layout comes with the models package
    threads: 1
    params:
        shifted=word_shifted_settings,
        code=library_code("word_groups"),
    script:
        "../../scripts/word_groups.py"


rule plot_word_groups:
    input:
        table=rules.word_groups.output.table,
        agreement=rules.word_groups.output.agreement,
        actual=rules.word_groups.output.actual,
        sets=rules.word_group_select.output[0],
        runs=word_group_run_files,
        corpus=rules.word_corpus.output.corpus,
        objectives=rules.word_objectives.output[0],
    output:
        predicted=report(
            word_out("figures", "groups_pred_vs_actual.png"),
            caption="../report/word_groups_pred_vs_actual.rst",
            category="{word}",
            subcategory="Word embeddings",
        ),
        sizes=report(
            word_out("figures", "groups_by_size.png"),
            caption="../report/word_groups_by_size.rst",
            category="{word}",
            subcategory="Word embeddings",
        ),
        words=report(
            word_out("figures", "groups_words.png"),
            caption="../report/word_groups_words.rst",
            category="{word}",
            subcategory="Word embeddings",
        ),
    log:
        word_out("logs", "plot_word_groups.log"),
    benchmark:
        word_out("benchmarks", "plot_word_groups.tsv")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        dpi=lambda wc: word_settings(wc.word)["figures"]["dpi"],
        code=library_code("plot_word_groups"),
    script:
        "../../scripts/plot_word_groups.py"
