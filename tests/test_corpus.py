"""The bundled Brown corpus and the script that made it (resources/convert_npm_brown.py)."""

import importlib.util
import itertools

import numpy as np
import pytest

from influential.core.errors import InputError
from influential.data import corpus

from .conftest import REPO

BROWN = REPO / "resources" / "brown.npz"


@pytest.fixture(scope="module")
def converter():
    spec = importlib.util.spec_from_file_location("convert_npm_brown", REPO / "resources" / "convert_npm_brown.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_converter_keeps_lower_cased_words_and_drops_tags_and_punctuation(converter, tmp_path):
    (tmp_path / "cats.txt").write_text("ca01 news\ncb02 editorial\n")
    (tmp_path / "ca01").write_text(
        "\n\n\tThe/at Fulton/np-tl jury/nn said/vbd ``/`` term-end/nn ''/'' ./.\n\n\n\t,/, ;/.\n\n"
        "\tAtlanta's/np$ 1/2/cd jury/nn ./.\n"
    )
    (tmp_path / "cb02").write_text("\tThe/at end/nn\n")
    arrays = converter.convert(tmp_path)
    vocabulary, tokens, offsets = arrays["vocabulary"], arrays["tokens"], arrays["sentence_offsets"]
    sentences = [vocabulary[tokens[a:b]].tolist() for a, b in itertools.pairwise(offsets)]
    assert sentences == [  # the punctuation-only line is no sentence; "1/2" keeps its slash
        ["the", "fulton", "jury", "said", "term-end"],
        ["atlanta's", "1/2", "jury"],
        ["the", "end"],
    ]
    assert vocabulary.tolist() == sorted(set(vocabulary.tolist()))
    assert arrays["sentence_document"].tolist() == [0, 0, 1]
    assert arrays["documents"].tolist() == ["ca01", "cb02"]
    assert arrays["document_genre"].tolist() == ["news", "editorial"]


def test_the_bundled_corpus_is_whole_and_consistent():
    with np.load(BROWN) as f:
        a = {name: f[name] for name in f.files}
    assert (len(a["documents"]), len(a["sentence_document"]), len(a["tokens"])) == (500, 57159, 1013319)
    assert len(set(a["document_genre"].tolist())) == 15 and len(a["vocabulary"]) == 49796
    offsets = a["sentence_offsets"]
    assert offsets[0] == 0 and offsets[-1] == len(a["tokens"]) and np.all(np.diff(offsets) > 0)
    assert np.all(np.diff(a["sentence_document"]) >= 0)  # sentences in document order
    assert np.all(np.diff(np.unique(a["sentence_document"])) == 1)  # every document has sentences
    assert a["tokens"].min() >= 0 and a["tokens"].max() == len(a["vocabulary"]) - 1
    words = a["vocabulary"].tolist()
    assert words == sorted(set(words)) and all(w == w.lower() and any(c.isalnum() for c in w) for w in words)
    first = " ".join(a["vocabulary"][a["tokens"][offsets[0] : offsets[1]]])
    assert first.startswith("the fulton county grand jury said friday an investigation of atlanta's")


TEXT = "The cat sat\nthe dog sat down\n\n\nA cat ran\n\nthe end\nrare words only\n"


def test_a_plain_text_corpus_becomes_units_over_a_vocabulary_cut_at_min_count(tmp_path):
    path = tmp_path / "stories.txt"
    path.write_text(TEXT)
    text = corpus.read_text(path)
    assert text.sentence_source.tolist() == [0, 1, 4, 6, 7]  # line numbers
    assert text.sentence_document.tolist() == [0, 0, 1, 2, 2] and text.document_genre.tolist() == ["stories"] * 3

    by_sentence = corpus.build(text, min_count=2, unit="sentence")
    assert by_sentence.vocabulary.tolist() == ["the", "cat", "sat"]  # most frequent first, ties alphabetical
    assert by_sentence.counts.tolist() == [3, 2, 2]
    words = [[by_sentence.vocabulary[s].tolist() for s in by_sentence.unit_sentences(u)] for u in range(4)]
    assert words == [[["the", "cat", "sat"]], [["the", "sat"]], [["cat"]], [["the"]]]  # "rare words only": gone
    assert by_sentence.n_units == 4 and by_sentence.sentence_source.tolist() == [0, 1, 4, 6]
    assert by_sentence.unit_document.tolist() == [0, 0, 1, 2]

    by_document = corpus.build(text, min_count=2, unit="document")
    assert by_document.n_units == 3 and by_document.unit_document.tolist() == [0, 1, 2]
    assert [len(by_document.unit_sentences(u)) for u in range(3)] == [2, 1, 1]  # sentences stay apart
    np.testing.assert_array_equal(np.concatenate(by_document.unit_sentences(0)), [0, 1, 2, 0, 2])


def test_the_bundled_corpus_read_by_genre_traces_back_to_its_sentences():
    text = corpus.read_bundled(BROWN, genres=["humor", "science_fiction"])
    assert sorted(set(text.document_genre.tolist())) == ["humor", "science_fiction"] and len(text.documents) == 15
    built = corpus.build(text, min_count=5, unit="document")
    assert built.n_units == 15 and built.counts.min() >= 5 and np.all(np.diff(built.counts) <= 0)
    with np.load(BROWN) as f:
        vocabulary, tokens, offsets, document = f["vocabulary"], f["tokens"], f["sentence_offsets"], f["documents"]
        sentence_document = f["sentence_document"]
    kept = set(built.vocabulary.tolist())
    for s in (0, len(built.sentence_source) // 2, len(built.sentence_source) - 1):
        source = built.sentence_source[s]
        original = vocabulary[tokens[offsets[source] : offsets[source + 1]]].tolist()
        got = built.vocabulary[built.tokens[built.sentence_offsets[s] : built.sentence_offsets[s + 1]]].tolist()
        assert got == [w for w in original if w in kept]
        unit = np.searchsorted(built.unit_offsets, s, side="right") - 1
        assert built.documents[built.unit_document[unit]] == document[sentence_document[source]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: corpus.read_bundled(BROWN, genres=["news", "poetry"]),
            r"corpus.genres: poetry not in .*brown.npz \(its genres: adventure, ",
        ),
        (
            lambda: corpus.build(corpus.read_bundled(BROWN, ["humor"]), 1, "paragraph"),
            r"corpus.unit: 'paragraph' is not one of sentence, document",
        ),
        (
            lambda: corpus.build(corpus.read_bundled(BROWN, ["humor"]), 10**6, "sentence"),
            r"corpus.min_count: 1000000 leaves no word \(the most frequent is seen \d+ times\)",
        ),
    ],
    ids=["genre", "unit", "min_count"],
)
def test_a_bad_corpus_setting_is_one_line_that_names_it(call, message):
    with pytest.raises(InputError, match=message):
        call()
