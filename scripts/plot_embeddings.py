"""The embedding-space figures of one test point (thesis figures 5.4-5.18 but t-SNE)."""

from influential import embedding_figures as plots
from influential import io


def main(snakemake):
    with io.log_to(snakemake.log[0]) as log:
        dataset = io.load_dataset(snakemake.input.dataset)
        point = io.read_table(snakemake.input.test_points).set_index("test").loc[snakemake.wildcards.test]
        metrics = io.read_table(snakemake.input.metrics)
        metrics = metrics[metrics["layer"] == snakemake.params.layer]
        images, test_image = dataset.train.x, dataset.test.x[int(point["test_position"])]
        label = f"{snakemake.params.layer} layer"
        figures = {
            "influential_images": plots.influential_images(
                metrics, images, test_image, int(point["label"]), int(point["predicted"])
            ),
            "pixel_cosine": plots.metric_vs_influence(metrics, "pixel_cosine", "cosine similarity in pixel space"),
            "pixel_vs_embedding": plots.pixel_vs_embedding(metrics),
            "nearest_furthest": plots.nearest_and_furthest(metrics, images, test_image),
            "embedding_cosine": plots.metric_vs_influence(
                metrics, "embedding_cosine", f"cosine similarity in embedding ({label})"
            ),
            "class_boxplots": plots.class_boxplots(metrics),
            "outliers": plots.outlier_boxplot(metrics),
            "centroid_relationship": plots.metric_vs_influence(
                metrics, "centroid_relationship", f"centroid relationship ({label})"
            ),
            "mahalanobis": plots.metric_vs_influence(
                metrics, "mahalanobis", f"Mahalanobis distance to class centroid ({label})"
            ),
            "learned_metric": plots.ann_results(
                io.read_table(snakemake.input.history), io.read_table(snakemake.input.predictions)
            ),
        }
        for name, figure in figures.items():
            io.save_figure(figure, snakemake.output[name])
        log.info("%d figures for %s", len(figures), snakemake.wildcards.test)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
