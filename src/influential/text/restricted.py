"""`exact` for a word objective over a restricted parameter set, numpy only: the input vectors of the objective's m
words and the output vectors of the q words most coupled to them (`output_words`: the largest summed curvature
sigmoid'(u_c . w_t) over the pairs where an objective word is the centre), every other parameter fixed. The training
objective's Hessian in those (m + q) d parameters is formed in closed form and inverted, and leaving unit z out moves
them by (1/n) H^-1 grad r_z. With q = 0 it is `block`; each output vector set free adds the coupling that `block`
ignores: a unit's pairs move the output vectors its words meet, and those move the objective's words in turn.

For a centre c and a partner t (a context, label 1, or a negative, label 0) with s = u_c . w_t, a = sigmoid(s) -
label and b = sigmoid'(s), the pair's loss has the blocks

    d2/du_c du_c = b w_t w_t^T,    d2/dw_t dw_t = b u_c u_c^T,    d2/du_c dw_t = a I + b w_t u_c^T.
"""

import numpy as np
import scipy.sparse
import scipy.special


def coupled_output_words(model, entries: tuple, words: np.ndarray, count: int) -> np.ndarray:
    """The `count` words whose output vectors the objective's words meet with the largest summed curvature (ties by
    vocabulary id), sorted by id."""
    centre, partner, _, b = entries
    mine = np.isin(centre, words)
    weight = np.bincount(partner[mine], weights=b[mine], minlength=model.vocabulary_size)
    order = np.lexsort((np.arange(model.vocabulary_size), -weight))[:count]
    return np.sort(order[weight[order] > 0])


def restricted_hessian(model, theta, entries: tuple, words: np.ndarray, outputs: np.ndarray, damping: float):
    """The training objective's Hessian (+ damping) in the input vectors of `words` and then the output vectors of
    `outputs`, ((m + q) d, (m + q) d)."""
    centre, partner, a, b = entries
    u, w = model.input_vectors(theta).astype(np.float64), model.output_vectors(theta).astype(np.float64)
    m, d = len(words), model.dim
    slot = np.full(model.vocabulary_size, -1)
    slot[outputs] = m + np.arange(len(outputs))
    h = np.zeros((m + len(outputs), d, m + len(outputs), d))
    for i, word in enumerate(words):
        mine = np.flatnonzero(centre == word)
        x = w[partner[mine]]
        h[i, :, i, :] = (x * b[mine, None]).T @ x
        for e in mine[slot[partner[mine]] >= 0]:
            j = slot[partner[e]]
            cross = a[e] * np.eye(d) + b[e] * np.outer(w[partner[e]], u[word])
            h[i, :, j, :] += cross
            h[j, :, i, :] += cross.T
    for j, word in enumerate(outputs, start=m):
        met = partner == word
        y = u[centre[met]]
        h[j, :, j, :] = (y * b[met, None]).T @ y
    size = (m + len(outputs)) * d
    return h.reshape(size, size) / (model.scale * model.pairs.n_units) + (model.l2 + damping) * np.eye(size)


def restricted_gradients(model, theta, words: np.ndarray, outputs: np.ndarray) -> scipy.sparse.csr_matrix:
    """Each unit's loss gradient in the same parameters, (n_units, (m + q) d), sparse."""
    pairs, d, m = model.pairs, model.dim, len(words)
    u, w = model.input_vectors(theta).astype(np.float64), model.output_vectors(theta).astype(np.float64)
    partners = np.concatenate([pairs.context[:, None], pairs.negatives], axis=1)  # (P, 1 + k): label 1, then 0s
    slot = np.full(model.vocabulary_size, -1)
    slot[words] = np.arange(m)
    input_slots = np.broadcast_to(slot[pairs.centre][:, None], partners.shape)
    slot[:] = -1
    slot[outputs] = m + np.arange(len(outputs))
    rows, columns, values = [], [], []
    for slots, is_input in ((input_slots, True), (slot[partners], False)):
        pair, position = np.nonzero(slots >= 0)
        centre, partner = pairs.centre[pair], partners[pair, position]
        a = scipy.special.expit(np.einsum("ed,ed->e", u[centre], w[partner])) - (position == 0)
        values.append((a[:, None] * (w[partner] if is_input else u[centre])).ravel())
        rows.append(np.repeat(pairs.unit_of_pair[pair], d))
        columns.append((slots[pair, position][:, None] * d + np.arange(d)).ravel())
    shape = (pairs.n_units, (m + len(outputs)) * d)
    coo = (np.concatenate(values) / model.scale, (np.concatenate(rows), np.concatenate(columns)))
    return scipy.sparse.csr_matrix(coo, shape=shape)


def restricted_changes(model, theta, words: np.ndarray, output_words: int, damping: float) -> tuple[np.ndarray, int]:
    """Each unit's predicted change of the input vectors of `words` if it is left out, (n_units, m, d), with the
    output vectors of the `output_words` most coupled words free too; and how many were."""
    entries = model.hessian_entries(theta)
    outputs = coupled_output_words(model, entries, words, output_words)
    hessian = restricted_hessian(model, theta, entries, words, outputs, damping)
    inputs = np.linalg.inv(hessian)[:, : len(words) * model.dim]  # the columns of the input vectors' moves
    changes = restricted_gradients(model, theta, words, outputs) @ inputs / model.pairs.n_units
    return changes.reshape(-1, len(words), model.dim), len(outputs)
