"""Skip-gram's training signal, fixed once per corpus: every unit's (centre, context) pairs within a window of each
other in one sentence, and `negatives` noise words per pair drawn from the corpus' unigram distribution to the 3/4
power (Mikolov et al. 2013), after optional subsampling of frequent words.

A unit's pairs and negatives are a function of the seed, the unit's own words and the vocabulary's counts alone (its
own random stream, `numpy.random.SeedSequence([seed, unit])`), so a model trained without some units sees every
other unit's signal bit for bit: leave-one-out and group removal change nothing else.
"""

from dataclasses import dataclass

import numpy as np

from influential.core import io
from influential.core.errors import InputError
from influential.data.corpus import Corpus

NOISE_POWER = 0.75


@dataclass(frozen=True)
class Pairs:
    """Unit u's pairs are rows unit_offsets[u]:unit_offsets[u + 1] of `centre`, `context` and `negatives` (P, k)."""

    centre: np.ndarray
    context: np.ndarray
    negatives: np.ndarray
    unit_offsets: np.ndarray

    @property
    def n_units(self) -> int:
        return len(self.unit_offsets) - 1

    @property
    def n_empty(self) -> int:
        """Units without a pair (a one-word sentence): their loss is 0, and so is every prediction for them."""
        return int(np.count_nonzero(np.diff(self.unit_offsets) == 0))

    @property
    def unit_of_pair(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_units), np.diff(self.unit_offsets))

    def save(self, path) -> None:
        io.save_fields(self, path)

    @classmethod
    def load(cls, path) -> "Pairs":
        return io.load_fields(cls, path)


def noise_distribution(counts: np.ndarray) -> np.ndarray:
    """Each vocabulary word's probability of being drawn as a negative."""
    weights = counts.astype(np.float64) ** NOISE_POWER
    return weights / weights.sum()


def keep_probabilities(counts: np.ndarray, subsample: float) -> np.ndarray:
    """Mikolov's subsampling: a word of corpus frequency f is kept with probability min(1, sqrt(t / f)); t = 0 keeps
    every word."""
    if subsample == 0:
        return np.ones(len(counts))
    return np.minimum(1.0, np.sqrt(subsample * counts.sum() / counts))


def unit_pairs(sentences: list[np.ndarray], window: int, negatives: int, noise_cdf, keep, rng) -> tuple:
    """One unit's (centre, context, negatives), its sentences subsampled with `keep` (per word id) first."""
    centres, contexts = [], []
    for words in sentences:
        words = words[rng.random(len(words)) < keep[words]]
        for offset in range(1, window + 1):
            # each ordered pair at distance `offset`, both ways, in the order the words come
            centres += [words[:-offset], words[offset:]]
            contexts += [words[offset:], words[:-offset]]
    centre = np.concatenate(centres) if centres else np.zeros(0, np.int32)
    context = np.concatenate(contexts) if contexts else np.zeros(0, np.int32)
    drawn = np.searchsorted(noise_cdf, rng.random((len(centre), negatives)), side="right")
    return centre, context, np.minimum(drawn, len(noise_cdf) - 1).astype(np.int32)


def generate(corpus: Corpus, window: int, negatives: int, subsample: float, seed: int, units=None) -> Pairs:
    """The pairs of every unit of `corpus` (or of the units listed: what the determinism test compares)."""
    if window < 1 or negatives < 0:
        raise InputError(f"model: window {window} must be at least 1 and negatives {negatives} at least 0")
    noise_cdf = np.cumsum(noise_distribution(corpus.counts))
    keep = keep_probabilities(corpus.counts, subsample)
    units = range(corpus.n_units) if units is None else units
    parts = [
        unit_pairs(corpus.unit_sentences(u), window, negatives, noise_cdf, keep, np.random.default_rng([seed, int(u)]))
        for u in units
    ]
    if not any(len(centre) for centre, _, _ in parts):
        raise InputError("corpus: no unit has two words within a window of each other; lower corpus.min_count")
    sizes = [len(centre) for centre, _, _ in parts]
    return Pairs(
        np.concatenate([p[0] for p in parts]).astype(np.int32),
        np.concatenate([p[1] for p in parts]).astype(np.int32),
        np.concatenate([p[2] for p in parts]).reshape(-1, negatives).astype(np.int32),
        np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
    )
