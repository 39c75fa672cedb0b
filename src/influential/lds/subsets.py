"""Random subsets of the training set for the linear datamodeling score, and the chunk jobs that train their models.

Subset j of fraction alpha draws round(alpha n) training positions without replacement from a generator seeded by
(seed, alpha, j) alone, so that adding subsets or changing the chunk size never changes an existing one. A chunk is
named after what it holds, `a{alpha}-s{seed}-{first:05d}-{stop:05d}`: subsets first..stop-1 of fraction alpha drawn
with seed `seed`; raising `lds.subsets` only adds chunks.
"""

import re
from dataclasses import dataclass

import numpy as np

from influential.core.errors import InputError

CHUNK_PATTERN = r"a[0-9.]+-s\d+-\d{5}-\d{5}"
_CHUNK = re.compile(r"a(?P<fraction>[0-9.]+)-s(?P<seed>\d+)-(?P<first>\d{5})-(?P<stop>\d{5})")


@dataclass(frozen=True)
class Chunk:
    fraction: float
    seed: int
    first: int
    stop: int

    @property
    def name(self) -> str:
        return f"a{self.fraction:g}-s{self.seed}-{self.first:05d}-{self.stop:05d}"

    @classmethod
    def parse(cls, name: str) -> "Chunk":
        match = _CHUNK.fullmatch(name)
        if match is None:
            raise InputError(f"lds chunk {name!r}: not a chunk name (a<fraction>-s<seed>-<first>-<stop>)")
        return cls(float(match["fraction"]), int(match["seed"]), int(match["first"]), int(match["stop"]))


def chunks(fractions: list[float], subsets: int, chunk_size: int, seed: int) -> list[Chunk]:
    """Every chunk of `subsets` subsets per fraction, `chunk_size` at a time."""
    return [
        Chunk(float(fraction), seed, first, min(first + chunk_size, subsets))
        for fraction in fractions
        for first in range(0, subsets, chunk_size)
    ]


def subset_positions(n: int, fraction: float, seed: int, j: int) -> np.ndarray:
    """The training positions of subset j (sorted), round(fraction n) of them."""
    size = round(fraction * n)
    if not 0 < size <= n:
        raise InputError(f"lds.fraction: {fraction} of {n} training points is {size} points")
    rng = np.random.default_rng([seed, round(fraction * 1_000_000), j])
    return np.sort(rng.choice(n, size=size, replace=False))


def masks(n: int, fraction: float, seed: int, subsets: range) -> np.ndarray:
    """(len(subsets), n) booleans: which training points each subset holds."""
    held = np.zeros((len(subsets), n), dtype=bool)
    for row, j in enumerate(subsets):
        held[row, subset_positions(n, fraction, seed, j)] = True
    return held
