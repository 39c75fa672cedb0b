"""Test objectives on word vectors (config `word_embeddings.<name>.objectives`), each a function of the input vectors
E (m, d) of its m words, with its gradient in closed form (tests/test_text.py checks it against central differences):

- `weat`: the WEAT effect size of Caliskan et al. (2017) for targets X, Y and attributes A, B:
  s(w) = mean_a cos(w, a) - mean_b cos(w, b); effect = (mean_X s - mean_Y s) / std_{X u Y} s (sample std, ddof 1);
- `distance`: the cosine distance 1 - cos(u_a, u_b) of two words;
- `centroid_distance`: the cosine distance of a word to the mean vector of a word set (cluster membership);
- `movement`: the squared Euclidean distance a word's vector moved from its initialisation (the cross-loss
  authors' test).

A word set may be a list of words or the name of a standard set (names.STANDARD_WORD_SETS, REFERENCE.md). Words
the vocabulary lacks are dropped, with a line in the log and the record; a set left with fewer than two words (or a
missing word where one is needed) stops the run with a one-line error naming it.
"""

import logging
from dataclasses import dataclass

import numpy as np

from influential.core import io, names
from influential.core.errors import InputError
from influential.core.names import CENTROID_DISTANCE, DISTANCE, MOVEMENT, WEAT

log = logging.getLogger(__name__)


def input_vectors(theta: np.ndarray, vocabulary_size: int, dim: int) -> np.ndarray:
    """U, (V, d), of a Skip-gram parameter vector (models.skipgram: U first), or (K, V, d) of K stacked ones."""
    theta = np.asarray(theta)
    return theta[..., : vocabulary_size * dim].reshape(*theta.shape[:-1], vocabulary_size, dim)


def _cosines(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """cos between every row of p (..., i, d) and of q (..., j, d): (..., i, j)."""
    p_hat = p / np.linalg.norm(p, axis=-1, keepdims=True)
    q_hat = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return p_hat @ np.swapaxes(q_hat, -1, -2)


def _cosine_backward(p: np.ndarray, q: np.ndarray, upstream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients wrt p (i, d) and q (j, d) of sum(upstream * cos(p, q))."""
    p_norm, q_norm = np.linalg.norm(p, axis=1, keepdims=True), np.linalg.norm(q, axis=1, keepdims=True)
    p_hat, q_hat = p / p_norm, q / q_norm
    c = p_hat @ q_hat.T
    d_p = (upstream @ q_hat - (upstream * c).sum(1, keepdims=True) * p_hat) / p_norm
    d_q = (upstream.T @ p_hat - (upstream * c).sum(0)[:, None] * q_hat) / q_norm
    return d_p, d_q


@dataclass(frozen=True)
class WordObjective:
    """An objective bound to vocabulary ids: `words` (m,) are the rows of U it reads, `groups` the positions in
    `words` of each role (WEAT: X, Y, A, B; distance: a, b; centroid: word, set; movement: word), `origin` the
    words' initial vectors (movement only)."""

    name: str
    kind: str
    words: np.ndarray
    groups: tuple[np.ndarray, ...]
    origin: np.ndarray | None = None

    def value(self, e: np.ndarray) -> np.ndarray:
        """The objective at input vectors e (..., m, d) of its words; leading axes are models or units."""
        g = self.groups
        if self.kind == WEAT:
            s = self._associations(e)
            n_x = len(g[0])
            difference = s[..., :n_x].mean(-1) - s[..., n_x:].mean(-1)
            return difference / s.std(-1, ddof=1)
        if self.kind == MOVEMENT:
            return ((e[..., g[0], :] - self.origin) ** 2).sum((-1, -2))
        other = e[..., g[1], :].mean(-2, keepdims=True)  # distance: the one other word; centroid: the set's mean
        return 1.0 - _cosines(e[..., g[0], :], other)[..., 0, 0]

    def _associations(self, e: np.ndarray) -> np.ndarray:
        """s(w) of every target word, X then Y."""
        x, y, a, b = self.groups
        targets = e[..., np.concatenate([x, y]), :]
        return _cosines(targets, e[..., a, :]).mean(-1) - _cosines(targets, e[..., b, :]).mean(-1)

    def gradient(self, e: np.ndarray) -> np.ndarray:
        """d value / d e, (m, d), at one set of vectors e (m, d)."""
        g, grad = self.groups, np.zeros_like(e, dtype=np.float64)
        e = e.astype(np.float64)
        if self.kind == WEAT:
            x, y, a, b = g
            s = self._associations(e)
            n_x, n = len(x), len(s)
            difference, sigma = s[:n_x].mean() - s[n_x:].mean(), s.std(ddof=1)
            weights = np.where(np.arange(n) < n_x, 1 / n_x, -1 / len(y))
            d_s = weights / sigma - difference / sigma**2 * (s - s.mean()) / ((n - 1) * sigma)
            targets = np.concatenate([x, y])
            for attributes, sign in ((a, 1.0), (b, -1.0)):
                upstream = sign * np.repeat(d_s[:, None], len(attributes), 1) / len(attributes)
                d_t, d_a = _cosine_backward(e[targets], e[attributes], upstream)
                np.add.at(grad, targets, d_t)
                np.add.at(grad, attributes, d_a)
            return grad
        if self.kind == MOVEMENT:
            grad[g[0]] = 2 * (e[g[0]] - self.origin)
            return grad
        members = g[1]
        d_word, d_centre = _cosine_backward(e[g[0]], e[members].mean(0, keepdims=True), -np.ones((1, 1)))
        np.add.at(grad, g[0], d_word)
        np.add.at(grad, members, np.repeat(d_centre / len(members), len(members), 0))
        return grad


def word_set(value, vocabulary_ids: dict, where: str, minimum: int) -> tuple[list[str], list[str]]:
    """The words of a configured set (a list, or a names.STANDARD_WORD_SETS name) the vocabulary has, and those it
    lacks."""
    if isinstance(value, str):
        if value not in names.STANDARD_WORD_SETS:
            known = ", ".join(names.STANDARD_WORD_SETS)
            raise InputError(f"{where}: {value!r} is no standard word set (known: {known})")
        value = names.STANDARD_WORD_SETS[value]
    words = [str(w).lower() for w in value]
    kept, dropped = [w for w in words if w in vocabulary_ids], [w for w in words if w not in vocabulary_ids]
    if len(kept) < minimum:
        raise InputError(
            f"{where}: {len(kept)} of its words in the vocabulary ({', '.join(kept) or 'none'}; missing: "
            f"{', '.join(dropped)}); it needs at least {minimum}: lower corpus.min_count or change the set"
        )
    return kept, dropped


ROLES = {
    WEAT: (("targets", 0), ("targets", 1), ("attributes", 0), ("attributes", 1)),
    DISTANCE: (("words", 0), ("words", 1)),
    CENTROID_DISTANCE: (("word", None), ("set", None)),
    MOVEMENT: (("word", None),),
}


def resolve(config: dict, vocabulary: np.ndarray) -> dict:
    """An objective's config with its words checked against the vocabulary: per role, the words kept and dropped
    (the record the workflow stores; `bind` turns it into a WordObjective)."""
    ids = {w: i for i, w in enumerate(vocabulary.tolist())}
    name, kind = config["name"], config["kind"]
    roles = []
    for key, index in ROLES[kind]:
        where = f"objective {name}: {key}" + ("" if index is None else f"[{index}]")
        value = config[key] if index is None else config[key][index]
        single = not isinstance(value, list) and (key in ("word",) or kind == DISTANCE)
        if single:
            value = [value]
        kept, dropped = word_set(value, ids, where, 1 if single else 2)
        for word in dropped:
            log.warning("%s: %r is not in the vocabulary; dropped", where, word)
        roles.append({"role": where, "words": kept, "dropped": dropped})
    return {"name": name, "kind": kind, "roles": roles}


def bind(record: dict, vocabulary: np.ndarray, initial_vectors: np.ndarray | None = None) -> WordObjective:
    """The WordObjective of a resolved record; `initial_vectors` (V, d) are U at initialisation (movement)."""
    ids = {w: i for i, w in enumerate(vocabulary.tolist())}
    words = list(dict.fromkeys(ids[w] for role in record["roles"] for w in role["words"]))
    position = {w: i for i, w in enumerate(words)}
    groups = tuple(np.array([position[ids[w]] for w in role["words"]]) for role in record["roles"])
    words = np.array(words)
    origin = None
    if record["kind"] == MOVEMENT:
        origin = initial_vectors[words[groups[0]]]
    return WordObjective(record["name"], record["kind"], words, groups, origin)


def load_bound(objectives_path, vocabulary: np.ndarray, model_path) -> list[WordObjective]:
    """The stored objectives (word_objectives' records) bound to the vocabulary, with the model's initial vectors."""
    initial = io.load_arrays(model_path)["initial_input_vectors"]
    return [bind(record, vocabulary, initial) for record in io.read_json(objectives_path)]


def objective_values(thetas: np.ndarray, objectives: list[WordObjective], vocabulary_size: int, dim: int):
    """Every objective on every model, (models, objectives)."""
    vectors = input_vectors(np.asarray(thetas, dtype=np.float64), vocabulary_size, dim)
    return np.stack([objective.value(vectors[:, objective.words]) for objective in objectives], axis=1)
