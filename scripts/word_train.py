"""Train the Skip-gram model on every unit of the corpus by minibatch Adam."""

import numpy as np

from influential.core import io, job
from influential.core.names import SKIP_GRAM
from influential.derivatives.gradients import objective_gradient
from influential.models.skipgram import SkipGram
from influential.text import pairs
from influential.text.training import units_dataset
from influential.training import fit
from influential.training.optimizer import AdamSettings, AdamState


def main(snakemake):
    with job.run(snakemake) as log:
        vocabulary_size = io.read_json(snakemake.input.summary)["vocabulary"]
        meta = {"kind": SKIP_GRAM, "vocabulary_size": vocabulary_size, **snakemake.params.model}
        model = SkipGram.from_pairs(meta, pairs.Pairs.load(snakemake.input.pairs))
        settings = AdamSettings.from_config(snakemake.params.training)
        log.info("Skip-gram: %d words, %d parameters, %d units", vocabulary_size, model.n_params, model.pairs.n_units)
        start = model.initial_params(settings.seed)
        dataset = units_dataset(model)
        theta, state, table, trajectory = fit.fit_adam(model, dataset, settings, start, AdamState.zeros_like(start))
        gradient = objective_gradient(model, theta, dataset.train.x, dataset.train.y)
        summary = {
            "objective": float(table["train_loss"].iloc[-1] + model.regularizer_value(theta)),
            "gradient_norm": float(np.linalg.norm(gradient)),
            "parameters": model.n_params,
        }
        log.info("trained: %s", summary)
        io.save_model(
            snakemake.output.model,
            theta,
            model.meta(),
            initial_input_vectors=model.input_vectors(start),
            **state.arrays(),
        )
        trajectory.save(snakemake.output.trajectory)
        io.write_table(table, snakemake.output.training_log)
        io.write_json(summary, snakemake.output.summary)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
