"""`Tokenizer` and `text_to_word_sequence`, as in `tf.keras.preprocessing.text` (host-side Python)."""

from __future__ import annotations

import json
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(
    input_text: str, filters: str = DEFAULT_FILTERS, lower: bool = True, split: str = " "
) -> list[str]:
    """Splits a text into words: optionally lower-cases it, turns each `filters` character into `split`.

    Example:
        >>> text_to_word_sequence("Hello, World!")
        ['hello', 'world']
    """
    if not isinstance(input_text, str):
        raise TypeError(f"input_text must be a string. Received: input_text={input_text!r}")
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in input_text.split(split) if word]


class Tokenizer:
    """Builds a word index from texts and turns texts into sequences of indices or into matrices.

    Words are ranked by frequency in the texts seen by `fit_on_texts` (ties in order of first
    appearance); the most frequent gets index 1, index 0 is never given (padding). With
    `oov_token`, that token takes index 1 and stands in for unknown words.

    Args:
        num_words: keep only the `num_words - 1` most frequent words when converting. Default None (all).
        filters: characters removed from the texts. Default: punctuation, tabs and newlines.
        lower: lower-case the texts. Default True.
        split: the word separator. Default `" "`.
        char_level: treat every character as a token. Default False.
        oov_token: the token for out-of-vocabulary words. Default None (such words are dropped).
        analyzer: an optional callable `text -> list of tokens` used instead of the built-in split.
        document_count: the count of documents already seen (for restoring a tokenizer). Default 0.

    Example:
        >>> tok = Tokenizer(num_words=100, oov_token="<OOV>")
        >>> tok.fit_on_texts(["the cat sat", "the dog"])
        >>> tok.texts_to_sequences(["the bird sat"])
        [[2, 1, 4]]
    """

    def __init__(
        self,
        num_words: int | None = None,
        filters: str = DEFAULT_FILTERS,
        lower: bool = True,
        split: str = " ",
        char_level: bool = False,
        oov_token: str | None = None,
        analyzer: Callable[[str], list[str]] | None = None,
        document_count: int = 0,
        **kwargs: Any,
    ):
        if kwargs.get("nb_words") is not None and num_words is None:
            num_words = kwargs.pop("nb_words")
        kwargs.pop("nb_words", None)
        word_counts = kwargs.pop("word_counts", None)
        if kwargs:
            raise TypeError(f"Unknown keyword argument(s) for Tokenizer: {sorted(kwargs)}. Received: {kwargs!r}")
        if num_words is not None and (
            isinstance(num_words, bool) or not isinstance(num_words, (int, np.integer)) or num_words <= 0
        ):
            raise ValueError(f"num_words must be a positive integer or None. Received: num_words={num_words!r}")
        self.num_words = None if num_words is None else int(num_words)
        self.filters = filters
        self.lower = bool(lower)
        self.split = split
        self.char_level = bool(char_level)
        self.oov_token = oov_token
        self.analyzer = analyzer
        self.document_count = int(document_count)
        self.word_counts: OrderedDict[str, int] = OrderedDict(json.loads(word_counts) if word_counts else {})
        self.word_docs: defaultdict[str, int] = defaultdict(int)
        self.index_docs: defaultdict[int, int] = defaultdict(int)
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}

    def _tokens(self, text) -> list[str]:
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return list(text)
        if self.analyzer is not None:
            return list(self.analyzer(text))
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts: Iterable[str]) -> None:
        """Counts the words of `texts` (strings, or lists of tokens) and rebuilds the word index."""
        if isinstance(texts, str):
            raise TypeError(f"texts must be a list of strings, not one string. Received: texts={texts[:40]!r}")
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for word in tokens:
                self.word_counts[word] = self.word_counts.get(word, 0) + 1
            for word in set(tokens):
                self.word_docs[word] += 1
        ranked = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocabulary = ([self.oov_token] if self.oov_token is not None else []) + [w for w, _ in ranked]
        self.word_index = {word: i for i, word in enumerate(vocabulary, start=1)}
        self.index_word = {i: word for word, i in self.word_index.items()}
        self.index_docs = defaultdict(int, {self.word_index[w]: c for w, c in self.word_docs.items()})

    def fit_on_sequences(self, sequences: Iterable[Iterable[int]]) -> None:
        """Counts in how many sequences each index occurs (needed by `sequences_to_matrix(mode="tfidf")`)."""
        for seq in sequences:
            self.document_count += 1
            for index in set(seq):
                self.index_docs[index] += 1

    def _index(self, word: str) -> int | None:
        index = self.word_index.get(word)
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        if index is not None and (self.num_words is None or index < self.num_words):
            return index
        return oov

    def texts_to_sequences(self, texts: Iterable[str]) -> list[list[int]]:
        """Each text as the list of its words' indices (unknown or rare words dropped, or the OOV index)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts: Iterable[str]):
        """Yields `texts_to_sequences` one text at a time."""
        for text in texts:
            indices = (self._index(word) for word in self._tokens(text))
            yield [i for i in indices if i is not None]

    def sequences_to_texts(self, sequences: Iterable[Iterable[int]]) -> list[str]:
        """Each sequence of indices back to a text of words joined by spaces."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences: Iterable[Iterable[int]]):
        """Yields `sequences_to_texts` one sequence at a time."""
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        for seq in sequences:
            words = []
            for index in seq:
                word = self.index_word.get(index)
                if word is not None and (self.num_words is None or index < self.num_words):
                    words.append(word)
                elif oov is not None:
                    words.append(self.index_word[oov])
            yield " ".join(words)

    def texts_to_matrix(self, texts: Iterable[str], mode: str = "binary") -> np.ndarray:
        """A `(len(texts), num_words)` matrix: see `sequences_to_matrix`."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences: Iterable[Iterable[int]], mode: str = "binary") -> np.ndarray:
        """A matrix with one row per sequence and one column per index.

        Args:
            sequences: lists of indices.
            mode: `"binary"` (1 where an index occurs), `"count"`, `"freq"` (count / length) or
                `"tfidf"` (`(1 + log(count)) * log(1 + documents / (1 + documents with the index))`).
                Default `"binary"`.
        """
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {list(_MODES)}. Received: mode={mode!r}")
        sequences = list(sequences)
        width = self.num_words or (len(self.word_index) + 1 if self.word_index else 0)
        if not width:
            raise ValueError(
                "Specify num_words, or call fit_on_texts first, so that the matrix width is known. Received: num_words=None"
            )
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data before using mode='tfidf'. Received: document_count=0")
        out = np.zeros((len(sequences), width))
        for row, seq in enumerate(sequences):
            seq = list(seq)
            counts: dict[int, int] = {}
            for index in seq:
                if index < width:
                    counts[index] = counts.get(index, 0) + 1
            for index, count in counts.items():
                if mode == "count":
                    out[row, index] = count
                elif mode == "freq":
                    # Over the whole sequence, indices beyond the width included, as tf.keras 2.
                    out[row, index] = count / len(seq)
                elif mode == "binary":
                    out[row, index] = 1
                else:
                    tf = 1 + np.log(count)
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(index, 0)))
                    out[row, index] = tf * idf
        return out

    def get_config(self) -> dict[str, Any]:
        """The settings and the fitted counts, as JSON strings where tf.keras 2 writes them so."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs: Any) -> str:
        """The tokenizer as JSON (`tokenizer_from_json` reads it back); `kwargs` go to `json.dumps`."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string: str) -> Tokenizer:
    """Rebuilds a `Tokenizer` from `Tokenizer.to_json()`."""
    try:
        config = dict(json.loads(json_string)["config"])
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"Not a Tokenizer JSON string. Received: json_string={json_string[:60]!r}") from err
    word_docs = json.loads(config.pop("word_docs"))
    index_docs = {int(k): v for k, v in json.loads(config.pop("index_docs")).items()}
    index_word = {int(k): v for k, v in json.loads(config.pop("index_word")).items()}
    word_index = json.loads(config.pop("word_index"))
    tokenizer = Tokenizer(**config)
    tokenizer.word_docs = defaultdict(int, word_docs)
    tokenizer.index_docs = defaultdict(int, index_docs)
    tokenizer.index_word = index_word
    tokenizer.word_index = word_index
    return tokenizer
