"""Text corpora for word embeddings: the bundled Brown corpus (resources/brown.npz) or a user's plain text (one
sentence per line, documents separated by blank lines), as training units (a sentence or a document) of word ids
over a vocabulary cut at `min_count`.

A unit keeps its sentences apart, so that a context window never spans two sentences, and every kept sentence
records where it came from (`sentence_source`: its position among all the source's sentences, or its line in a text
file), so that a unit can be shown as the text it was, with the words the vocabulary dropped.
"""

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from influential.core import io
from influential.core.errors import InputError
from influential.core.names import CORPUS_UNITS


@dataclass(frozen=True)
class Text:
    """Sentences as lists of words, each with its position in the source and its document; documents with their
    genre."""

    sentences: list[list[str]]
    sentence_source: np.ndarray
    sentence_document: np.ndarray
    documents: np.ndarray
    document_genre: np.ndarray


def read_bundled(path: str | Path, genres: list[str] | None = None) -> Text:
    """The Brown corpus as resources/convert_npm_brown.py stored it, only the documents of `genres` if given."""
    with np.load(path) as f:
        vocabulary, tokens, offsets = f["vocabulary"], f["tokens"], f["sentence_offsets"]
        sentence_document, documents, document_genre = f["sentence_document"], f["documents"], f["document_genre"]
    if genres is not None:
        unknown = sorted(set(genres) - set(document_genre.tolist()))
        if unknown:
            known = ", ".join(sorted(set(document_genre.tolist())))
            raise InputError(f"corpus.genres: {', '.join(unknown)} not in {path} (its genres: {known})")
    kept = np.arange(len(documents)) if genres is None else np.flatnonzero(np.isin(document_genre, genres))
    chosen = np.flatnonzero(np.isin(sentence_document, kept))
    return Text(
        [vocabulary[tokens[offsets[i] : offsets[i + 1]]].tolist() for i in chosen],
        chosen,
        np.searchsorted(kept, sentence_document[chosen]),
        documents[kept],
        document_genre[kept],
    )


def read_text(path: str | Path) -> Text:
    """A plain-text corpus: one sentence per line, words separated by white space, documents separated by blank
    lines; words are lower-cased. Documents are named by their position, their genre is the file's name."""
    sentences, lines, sentence_document, document = [], [], [], 0
    for number, line in enumerate(Path(path).read_text().splitlines()):
        words = line.lower().split()
        if words:
            sentences.append(words)
            lines.append(number)
            sentence_document.append(document)
        elif sentence_document and sentence_document[-1] == document:
            document += 1
    if not sentences:
        raise InputError(f"{path}: no words (one sentence per line, documents separated by blank lines)")
    n_documents = sentence_document[-1] + 1
    return Text(
        sentences,
        np.array(lines),
        np.array(sentence_document),
        np.array([str(d) for d in range(n_documents)]),
        np.full(n_documents, Path(path).stem),
    )


@dataclass(frozen=True)
class Corpus:
    """Units of word ids. `vocabulary` holds the words seen at least min_count times, most frequent first (ties in
    alphabetical order), with their `counts`; `tokens` the kept words of every kept sentence, sentence after sentence
    (`sentence_offsets`, S + 1 entries); unit u is sentences unit_offsets[u]:unit_offsets[u + 1]."""

    vocabulary: np.ndarray
    counts: np.ndarray
    tokens: np.ndarray
    sentence_offsets: np.ndarray
    sentence_source: np.ndarray
    unit_offsets: np.ndarray
    unit_document: np.ndarray
    documents: np.ndarray
    document_genre: np.ndarray

    @property
    def n_units(self) -> int:
        return len(self.unit_offsets) - 1

    def save(self, path) -> None:
        io.save_fields(self, path)

    @classmethod
    def load(cls, path) -> "Corpus":
        return io.load_fields(cls, path)

    def summary(self) -> dict:
        return {
            "units": self.n_units,
            "sentences": len(self.sentence_offsets) - 1,
            "tokens": len(self.tokens),
            "vocabulary": len(self.vocabulary),
            "documents": len(self.documents),
            "genres": sorted(set(self.document_genre.tolist())),
        }

    def unit_sentences(self, unit: int) -> list[np.ndarray]:
        """The word ids of each sentence of a unit."""
        first, last = self.unit_offsets[unit], self.unit_offsets[unit + 1]
        return [self.tokens[self.sentence_offsets[s] : self.sentence_offsets[s + 1]] for s in range(first, last)]


def build(text: Text, min_count: int, unit: str) -> Corpus:
    """The vocabulary of words seen at least `min_count` times, every sentence cut to it (a sentence left empty is
    dropped), grouped in units of one sentence or one document."""
    if unit not in CORPUS_UNITS:
        raise InputError(f"corpus.unit: {unit!r} is not one of {', '.join(CORPUS_UNITS)}")
    counts = Counter(word for sentence in text.sentences for word in sentence)
    vocabulary = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    if not vocabulary:
        most = max(counts.values())
        raise InputError(f"corpus.min_count: {min_count} leaves no word (the most frequent is seen {most} times)")
    ids = {word: i for i, word in enumerate(vocabulary)}
    kept = [(i, [ids[w] for w in sentence if w in ids]) for i, sentence in enumerate(text.sentences)]
    kept = [(i, words) for i, words in kept if words]
    position = np.array([i for i, _ in kept], dtype=np.int64)
    document = text.sentence_document[position]
    starts = np.flatnonzero(np.diff(document, prepend=-1)) if unit == "document" else np.arange(len(kept))
    return Corpus(
        vocabulary=np.array(vocabulary),
        counts=np.array([counts[w] for w in vocabulary], dtype=np.int64),
        tokens=np.array([w for _, words in kept for w in words], dtype=np.int32),
        sentence_offsets=np.concatenate([[0], np.cumsum([len(words) for _, words in kept])]).astype(np.int64),
        sentence_source=text.sentence_source[position],
        unit_offsets=np.append(starts, len(kept)).astype(np.int64),
        unit_document=document[starts].astype(np.int32),
        documents=text.documents,
        document_genre=text.document_genre,
    )


def unit_texts(corpus: Corpus, text: Text) -> list[str]:
    """Every unit's sentences as the source had them (with the words the vocabulary dropped), joined by spaces."""
    where = {source: i for i, source in enumerate(text.sentence_source.tolist())}
    sentences = [" ".join(text.sentences[where[source]]) for source in corpus.sentence_source.tolist()]
    offsets = corpus.unit_offsets
    return [" ".join(sentences[offsets[u] : offsets[u + 1]]) for u in range(corpus.n_units)]


def read(settings: dict, path: str | Path) -> Text:
    """The text a validated `corpus` config names, from `path`: the Brown corpus as bundled (its genres only, if
    given), or the user's text file."""
    if settings["source"] == "text":
        return read_text(path)
    return read_bundled(path, settings["genres"])
