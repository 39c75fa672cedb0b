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
    threads: 1
    params:
        dataset=lambda wc: experiment(wc.exp)["dataset"],
        code=library_code("dataset"),
    script:
        "../../scripts/dataset.py"
