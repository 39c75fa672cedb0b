rule dataset:
    input:
        dataset_inputs,
    output:
        out("data", "dataset.npz"),
    log:
        out("logs", "dataset.log"),
    benchmark:
        out("benchmarks", "dataset.tsv")
    conda:
        "../../envs/tensorflow.yaml"
    params:
        dataset=lambda wc: experiment(wc.exp)["dataset"],
        bundled=workflow.source_path("../../resources/mnist_bundled.npz"),
    script:
        "../../scripts/dataset.py"
