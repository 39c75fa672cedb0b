"""The Gaussian-mixture experiment's figures: most influential points, predicted vs actual, correlations."""

from influential.core import io, job
from influential.core.names import ACTUAL, MIXTURE_MODELS, PREDICTED, UNSUPERVISED
from influential.figures import mixture as mixture_figures
from influential.figures import plots


def main(snakemake):
    with job.run(snakemake) as log:
        data = io.load_arrays(snakemake.input.data)
        agreement = io.read_table(snakemake.input.agreement, ["model", "evaluation", "test_position", "pearson"])
        agreement = agreement[agreement["evaluation"] == "linear"]  # the figures show the linear prediction
        fits = dict(zip(MIXTURE_MODELS, map(io.load_arrays, snakemake.input.fit), strict=True))
        predicted = {
            m: io.load_arrays(p)[PREDICTED] for m, p in zip(MIXTURE_MODELS, snakemake.input.influence, strict=True)
        }
        actual = {m: io.load_arrays(p)[ACTUAL] for m, p in zip(MIXTURE_MODELS, snakemake.input.loo, strict=True)}
        settings = snakemake.params.figures
        test = settings["test_point"]
        if test is None:  # the point the unsupervised mixture is least sure of
            test = int(fits[UNSUPERVISED]["test_objectives"].argmax())
        log.info("test point drawn: %d", test)
        figures = {
            "influential": mixture_figures.influential_points(
                data["x"], data["y"], fits, predicted, agreement, test, settings["top"]
            ),
            "pred_vs_actual": mixture_figures.predicted_vs_actual(predicted, actual, agreement, test),
            "correlations": mixture_figures.correlations(agreement),
        }
        for name, figure in figures.items():
            plots.save(figure, getattr(snakemake.output, name), settings["dpi"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
