"""Brunet et al.'s (2019) `block` estimator in closed form, numpy only: only an objective's words' input vectors move,
the output vectors stay fixed, so the training objective's Hessian in them is block diagonal, one exact d x d block
per word, and leaving unit z out moves word w's vector by (1/n) H_w^-1 grad_w r_z (n units, r_z the unit's loss);
and the objective recomputed at moved vectors (`shifted`)."""

import numpy as np
import scipy.special

from influential.text.objectives import WordObjective


def block_terms(model, theta: np.ndarray, words: np.ndarray, damping: float) -> tuple[np.ndarray, np.ndarray]:
    """For the input vectors of `words` (m,) with every output vector fixed: each unit's gradient of its loss,
    (n_units, m, d), and each word's Hessian of the training objective (+ damping), (m, d, d); float64."""
    pairs, n, m, d = model.pairs, model.pairs.n_units, len(words), model.dim
    u, w = model.input_vectors(theta).astype(np.float64), model.output_vectors(theta).astype(np.float64)
    gradients, hessians = np.zeros((n, m, d)), np.empty((m, d, d))
    for k, vocabulary_id in enumerate(words):  # word by word: all their pairs at once outgrow memory on a whole corpus
        mine = np.flatnonzero(pairs.centre == vocabulary_id)
        partners = np.concatenate([w[pairs.context[mine]][:, None], w[pairs.negatives[mine]]], axis=1)  # (p, 1+k, d)
        probability = scipy.special.expit(partners @ u[vocabulary_id])
        target = np.zeros_like(probability)
        target[:, 0] = 1.0  # the context is a positive, the negatives are not
        per_pair = np.einsum("pj,pjd->pd", probability - target, partners) / model.scale
        np.add.at(gradients[:, k], pairs.unit_of_pair[mine], per_pair)
        x, b = partners.reshape(-1, d), (probability * (1 - probability)).reshape(-1)
        hessians[k] = (x * b[:, None]).T @ x
    hessians = hessians / (model.scale * n) + (model.l2 + damping) * np.eye(d)
    return gradients, hessians


def block_changes(model, theta: np.ndarray, objective: WordObjective, damping: float) -> np.ndarray:
    """Each unit's predicted change of the objective's words' input vectors if it is left out, (n_units, m, d)."""
    gradients, hessians = block_terms(model, theta, objective.words, damping)
    return np.einsum("wde,nwe->nwd", np.linalg.inv(hessians), gradients) / model.pairs.n_units


def shifted(objective: WordObjective, vectors: np.ndarray, changes: np.ndarray) -> np.ndarray:
    """The objective's change when its words' vectors (m, d) move by each of `changes` (..., m, d)."""
    return objective.value(vectors + changes) - objective.value(vectors)
