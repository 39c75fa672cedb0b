"""Thesis figure 5.19's numbers: every parameter's change after retraining without the first test point's most
influential training point, warm-started and from scratch (a fresh initialisation and minibatch order)."""

from dataclasses import replace

import numpy as np
import pandas as pd

from influential.core.names import PREDICTED
from influential.loo import plan
from influential.loo.retrain import RetrainSettings, retrain
from influential.training.optimizer import AdamSettings, AdamState


def parameter_changes(
    model,
    theta: np.ndarray,
    state: AdamState,
    schedule: AdamSettings,
    dataset,
    position: int,
    retraining: RetrainSettings,
    reset_seed: int,
) -> dict[str, np.ndarray]:
    """Thesis figure 5.19: how far leaving one point out moves every parameter from the checkpoint, when retraining
    continues from it (`retraining`'s steps, warm-started whatever its protocol) and when it starts over (`reset`: a
    fresh initialisation and minibatch order from `reset_seed`, the whole training schedule), by protocol."""
    warm = replace(retraining, protocol="warm_start")
    reset = RetrainSettings("reset", schedule.steps, schedule.batch_size, reset_seed)
    return {
        settings.protocol: retrain(
            model, theta, state, schedule, dataset.train, dataset.test, np.array([position]), settings
        )["thetas"][0]
        - theta
        for settings in (warm, reset)
    }


def most_influential_change(
    model,
    theta: np.ndarray,
    state: AdamState,
    schedule: AdamSettings,
    dataset,
    predicted: pd.DataFrame,
    retraining: RetrainSettings,
) -> tuple[int, dict[str, np.ndarray], pd.DataFrame]:
    """The training point that `predicted` (one test point's influence table) ranks first for retraining, each
    protocol's parameter change without it (the reset from the training seed + 1, so that its initialisation and
    minibatches differ from training's), and a row per protocol: steps, distance, largest change."""
    position = int(plan.ranked_for_retraining(predicted[["train_position", PREDICTED]])["train_position"].iloc[0])
    changes = parameter_changes(model, theta, state, schedule, dataset, position, retraining, schedule.seed + 1)
    table = pd.DataFrame(
        {
            "protocol": list(changes),
            "train_position": position,
            "steps": [retraining.steps, schedule.steps],
            "param_distance": [float(np.linalg.norm(c)) for c in changes.values()],
            "largest_change": [float(np.abs(c).max()) for c in changes.values()],
        }
    )
    return position, changes, table
