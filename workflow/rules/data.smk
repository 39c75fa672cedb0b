rule dataset:
    input:
        unpack(dataset_inputs),
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
    script:
        "../../scripts/dataset.py"
