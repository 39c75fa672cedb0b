"""The Skip-gram model's parameter layout and training signal, numpy only (models.skipgram adds the tensor side):
what the `block` estimator and the objectives read without loading TensorFlow.

theta holds the input vectors U (V x d, the embedding every objective reads) and then the output vectors W. A
training example is a unit (a sentence or a document, text.pairs), given by its id; the model holds every unit's
pairs. U starts uniform in +-1/sqrt(V + d) and W at zero, as the cross-loss authors' code does. Its pairs are not
in `meta()`: a word-embedding job builds the model from the corpus' pairs file (`from_pairs`).
"""

from dataclasses import dataclass, field

import numpy as np
import scipy.special

from influential.core import names
from influential.text import objectives
from influential.text.pairs import Pairs


@dataclass(frozen=True, eq=False)
class SkipGramLayout:
    vocabulary_size: int
    dim: int
    l2: float
    pairs: Pairs = field(repr=False)

    kind = names.SKIP_GRAM
    removal_includes_regularizer = False
    layer_names = ("input_vectors",)

    @classmethod
    def from_pairs(cls, meta: dict, pairs: Pairs) -> "SkipGramLayout":
        return cls(int(meta["vocabulary_size"]), int(meta["dim"]), float(meta["l2"]), pairs)

    def meta(self) -> dict:
        return {"kind": self.kind, "vocabulary_size": self.vocabulary_size, "dim": self.dim, "l2": self.l2}

    @property
    def n_params(self) -> int:
        return 2 * self.vocabulary_size * self.dim

    @property
    def n_classes(self) -> int:
        return 0  # not a classifier

    @property
    def scale(self) -> float:
        """The corpus' mean number of pairs per unit."""
        return max(1.0, len(self.pairs.centre) / self.pairs.n_units)

    def units(self) -> np.ndarray:
        """The training examples: every unit's id (and labels that nothing reads)."""
        return np.arange(self.pairs.n_units)

    def initial_params(self, seed: int) -> np.ndarray:
        bound = 1.0 / np.sqrt(self.vocabulary_size + self.dim)
        u = np.random.default_rng(seed).uniform(-bound, bound, self.vocabulary_size * self.dim)
        return np.concatenate([u, np.zeros_like(u)]).astype(np.float32)

    def input_vectors(self, theta: np.ndarray) -> np.ndarray:
        """U, (V, d), of one parameter vector, or (K, V, d) of K stacked ones."""
        return objectives.input_vectors(theta, self.vocabulary_size, self.dim)

    def output_vectors(self, theta: np.ndarray) -> np.ndarray:
        """W, as input_vectors."""
        theta = np.asarray(theta)
        return theta[..., self.vocabulary_size * self.dim :].reshape(*theta.shape[:-1], self.vocabulary_size, self.dim)

    ENTRIES_PER_BATCH = 500_000

    def hessian_entries(self, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """The training loss' second-order terms: each distinct (centre c, partner t) that the pairs meet (a
        context, label 1, or a negative, label 0), with a = sum (sigmoid(s) - label) and b = sum sigmoid'(s) over
        its occurrences, s = u_c . w_t, at theta (unscaled). Equal entries summed first: a quarter as many on the
        Brown corpus; scored ENTRIES_PER_BATCH at a time (all at once outgrow memory on a whole corpus)."""
        pairs, vocabulary = self.pairs, self.vocabulary_size
        centre = np.repeat(pairs.centre.astype(np.int64), 1 + pairs.negatives.shape[1])
        partner = np.concatenate([pairs.context[:, None], pairs.negatives], axis=1).ravel()
        label = np.zeros((len(pairs.centre), 1 + pairs.negatives.shape[1]))
        label[:, 0] = 1.0
        keys, inverse = np.unique(centre * vocabulary + partner, return_inverse=True)
        count, positives = np.bincount(inverse), np.bincount(inverse, weights=label.ravel())
        u, w = self.input_vectors(theta).astype(np.float64), self.output_vectors(theta).astype(np.float64)
        centre, partner = keys // vocabulary, keys % vocabulary
        scores = np.empty(len(keys))
        for i in range(0, len(keys), self.ENTRIES_PER_BATCH):
            part = slice(i, i + self.ENTRIES_PER_BATCH)
            scores[part] = np.einsum("ed,ed->e", u[centre[part]], w[partner[part]])
        probability = scipy.special.expit(scores)
        return centre, partner, count * probability - positives, count * probability * (1 - probability)
