"""The embedding-space figures of one test point (thesis figures 5.4-5.18 but t-SNE)."""

from influential.core import io, job
from influential.figures import embedding as figures
from influential.figures import plots


def main(snakemake):
    with job.run(snakemake) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        point = io.read_json(snakemake.input.test_point)
        metrics = io.read_table(snakemake.input.metrics)
        metrics = metrics[metrics["layer"] == snakemake.params.layer]
        images, test_image = dataset.train.x, dataset.test.x[point["test_position"]]
        label = f"{snakemake.params.layer} layer"
        n, dpi = snakemake.params.figures["images"], snakemake.params.figures["dpi"]
        objective = point["objective_label"]
        drawn = {
            "influential_images": figures.influential_images(
                metrics, images, test_image, point["label"], point["predicted"], n, objective
            ),
            "pixel_cosine": figures.metric_vs_influence(
                metrics, "pixel_cosine", "cosine similarity in pixel space", objective
            ),
            "pixel_vs_embedding": figures.pixel_vs_embedding(metrics),
            "nearest_furthest": figures.nearest_and_furthest(metrics, images, test_image, n),
            "embedding_cosine": figures.metric_vs_influence(
                metrics, "embedding_cosine", f"cosine similarity in embedding ({label})", objective
            ),
            "class_boxplots": figures.class_boxplots(metrics, objective),
            "outliers": figures.outlier_boxplot(metrics, objective),
            "centroid_relationship": figures.metric_vs_influence(
                metrics, "centroid_relationship", f"centroid relationship ({label})", objective
            ),
            "mahalanobis": figures.metric_vs_influence(
                metrics, "mahalanobis", f"Mahalanobis distance to class centroid ({label})", objective
            ),
            "learned_metric": figures.ann_results(
                io.read_table(snakemake.input.history), io.read_table(snakemake.input.predictions), objective
            ),
        }
        for name, figure in drawn.items():
            plots.save(figure, snakemake.output[name], dpi)
        log.info("%d figures for %s", len(drawn), point["test"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
