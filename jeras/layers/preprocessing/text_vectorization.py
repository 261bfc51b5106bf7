"""`TextVectorization`: raw strings to token indices or bag-of-words vectors.

Where the boundary is: strings never reach the device. Standardizing, splitting, n-grams and
the vocabulary lookup run on the host in Python/NumPy when the layer is called on strings (a
list or a NumPy array); the result is an integer (or float) array, which the compiled model then
takes. So vectorize the texts first (`x = vectorizer(texts)`, or in a data pipeline) and feed the
indices to a model that starts at `Embedding`; a model whose first layer is a `TextVectorization`
can be called eagerly on strings, but `fit` works on the vectorized arrays.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable, Iterable
from typing import Any

import jax.numpy as jnp
import numpy as np

from jeras.layers.layer import Layer
from jeras.layers.preprocessing.sequence import pad_sequences
from jeras.layers.recurrent import check_positive_int

_PUNCTUATION = re.compile("[" + re.escape(string.punctuation) + "]")
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation", None)
_SPLIT = ("whitespace", "character", None)
_MODES = ("int", "multi_hot", "count", "tf_idf")
PAD, OOV = "", "[UNK]"


def _texts(data) -> list[str]:
    """Flattens strings from a list, an array (bytes decoded), or an iterable of batches (`(texts, labels)` too)."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, np.ndarray):
        return [x.decode("utf-8") if isinstance(x, bytes) else str(x) for x in data.reshape(-1)]
    out: list[str] = []
    for item in data:
        if isinstance(item, tuple):
            item = item[0]
        if isinstance(item, (str, bytes)):
            out.append(item.decode("utf-8") if isinstance(item, bytes) else item)
        else:
            out.extend(_texts(np.asarray(item, dtype=object)))
    return out


class TextVectorization(Layer):
    """Turns strings into sequences of token indices (`"int"`) or vocabulary-sized vectors.

    Each string is standardized, split into tokens, optionally extended with n-grams, and
    looked up in a vocabulary learnt by `adapt` (tokens by decreasing frequency, ties in order of
    first appearance) or given. With `output_mode="int"`, index 0 is padding (`""`) and 1 is
    out-of-vocabulary (`"[UNK]"`); in the other modes index 0 is out-of-vocabulary.

    Args:
        max_tokens: the vocabulary size, special tokens included. Default None (no limit).
        standardize: `"lower_and_strip_punctuation"`, `"lower"`, `"strip_punctuation"`, None, or a
            callable `str -> str`. Default `"lower_and_strip_punctuation"`.
        split: `"whitespace"`, `"character"`, None (the whole string is one token), or a callable
            `str -> list of str`. Default `"whitespace"`.
        ngrams: None, an int `n` (all n-grams from 1 to n), or a tuple of n-gram sizes. Default None.
        output_mode: `"int"`, `"multi_hot"`, `"count"` or `"tf_idf"`. Default `"int"`.
        output_sequence_length: with `"int"`, pad or cut every sequence to this length (at the end).
            Default None (the longest in the batch).
        pad_to_max_tokens: in the vector modes, make the output `max_tokens` wide even if the
            vocabulary is smaller. Default False.
        vocabulary: an optional list of tokens (without special tokens), or a path to a file with one
            token per line. Default None (call `adapt`).
        idf_weights: with `"tf_idf"` and a given vocabulary, one weight per token. Default None.

    Input shape: `(batch,)` or `(batch, 1)` strings. Output shape: `(batch, sequence_length)` int32
    for `"int"`, `(batch, vocabulary_size)` float32 otherwise.

    Example:
        >>> vectorize = TextVectorization(output_sequence_length=4)
        >>> vectorize.adapt(["the cat sat", "the dog"])
        >>> np.asarray(vectorize(["The dog sat!"]))
        array([[2, 5, 4, 0]], dtype=int32)
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: str | Callable[[str], str] | None = "lower_and_strip_punctuation",
        split: str | Callable[[str], list[str]] | None = "whitespace",
        ngrams: int | tuple[int, ...] | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: list[str] | str | None = None,
        idf_weights: Iterable[float] | None = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        **kwargs: Any,
    ):
        kwargs.pop("vocabulary_size", None)
        super().__init__(**kwargs)
        if output_mode not in _MODES:
            raise ValueError(f"output_mode must be one of {list(_MODES)}. Received: output_mode={output_mode!r}")
        if not callable(standardize) and standardize not in _STANDARDIZE:
            raise ValueError(
                f"standardize must be one of {list(_STANDARDIZE)} or a callable. Received: standardize={standardize!r}"
            )
        if not callable(split) and split not in _SPLIT:
            raise ValueError(f"split must be one of {list(_SPLIT)} or a callable. Received: split={split!r}")
        if sparse or ragged:
            raise ValueError(
                "jeras arrays are dense: sparse and ragged outputs are not available. "
                f"Received: sparse={sparse}, ragged={ragged}"
            )
        self.max_tokens = None if max_tokens is None else check_positive_int(max_tokens, "max_tokens")
        special = 2 if output_mode == "int" else 1
        if self.max_tokens is not None and self.max_tokens <= special:
            raise ValueError(
                f"max_tokens must leave room for tokens beyond the {special} special one(s) of output_mode="
                f"'{output_mode}'. Received: max_tokens={max_tokens}"
            )
        if ngrams is None:
            self.ngrams = None
        elif isinstance(ngrams, (int, np.integer)) and not isinstance(ngrams, bool):
            self.ngrams = check_positive_int(ngrams, "ngrams")
        else:
            self.ngrams = tuple(check_positive_int(n, "ngrams") for n in ngrams)
        self.standardize = standardize
        self.split = split
        self.output_mode = output_mode
        if output_sequence_length is not None:
            if output_mode != "int":
                raise ValueError(
                    "output_sequence_length applies to output_mode='int' only. "
                    f"Received: output_sequence_length={output_sequence_length}, output_mode={output_mode!r}"
                )
            output_sequence_length = check_positive_int(output_sequence_length, "output_sequence_length")
        self.output_sequence_length = output_sequence_length
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.encoding = encoding
        self._vocabulary: list[str] = []
        self._index: dict[str, int] = {}
        self._idf: np.ndarray | None = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------------ host-side text processing
    def _standardized(self, text: str) -> str:
        if callable(self.standardize):
            return self.standardize(text)
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            text = text.lower()
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            text = _PUNCTUATION.sub("", text)
        return text

    def _tokens(self, text: str) -> list[str]:
        text = self._standardized(text)
        if callable(self.split):
            tokens = list(self.split(text))
        elif self.split == "whitespace":
            tokens = text.split()
        elif self.split == "character":
            tokens = list(text)
        else:
            tokens = [text]
        if self.ngrams is None:
            return tokens
        sizes = range(1, self.ngrams + 1) if isinstance(self.ngrams, int) else self.ngrams
        return [" ".join(tokens[i : i + n]) for n in sizes for i in range(len(tokens) - n + 1)]

    def _special(self) -> list[str]:
        return [PAD, OOV] if self.output_mode == "int" else [OOV]

    def adapt(self, data, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learns the vocabulary (and the idf weights for `"tf_idf"`) from strings.

        Args:
            data: a list or array of strings, or an iterable of batches of them (such as
                `text_dataset_from_directory(...)`, whose labels are ignored).
            batch_size, steps: accepted for compatibility; all of `data` is read.
        """
        texts = _texts(data)
        if not texts:
            raise ValueError("adapt needs at least one string. Received: data with no strings")
        counts: dict[str, int] = {}
        documents: dict[str, int] = {}
        for text in texts:
            tokens = self._tokens(text)
            for token in tokens:
                counts[token] = counts.get(token, 0) + 1
            for token in set(tokens):
                documents[token] = documents.get(token, 0) + 1
        ranked = sorted(counts, key=lambda t: -counts[t])
        special = self._special()
        ranked = [t for t in ranked if t not in special]
        if self.max_tokens is not None:
            ranked = ranked[: self.max_tokens - len(special)]
        idf = None
        if self.output_mode == "tf_idf":
            idf = np.array([math.log(1 + len(texts) / (1 + documents[t])) for t in ranked])
        self.set_vocabulary(ranked, idf)

    def set_vocabulary(self, vocabulary: list[str] | str, idf_weights: Iterable[float] | None = None) -> None:
        """Sets the vocabulary: a list of tokens, or a path to a file with one token per line.

        A list may start with the special tokens (`get_vocabulary()` gives them); they are not repeated.
        """
        if isinstance(vocabulary, str):
            with open(vocabulary, encoding=self.encoding) as f:
                vocabulary = [line.rstrip("\n") for line in f]
        tokens = [t.decode(self.encoding) if isinstance(t, bytes) else str(t) for t in vocabulary]
        special = self._special()
        if tokens[: len(special)] == special:
            tokens = tokens[len(special) :]
        if len(set(tokens)) != len(tokens):
            repeated = sorted({t for t in tokens if tokens.count(t) > 1})[:5]
            raise ValueError(f"The vocabulary repeats tokens. Received: repeated tokens {repeated}")
        if self.max_tokens is not None and len(tokens) + len(special) > self.max_tokens:
            raise ValueError(
                f"The vocabulary has {len(tokens) + len(special)} entries with the special tokens, more than "
                f"max_tokens. Received: max_tokens={self.max_tokens}"
            )
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(
                    "output_mode='tf_idf' needs idf_weights with the vocabulary. Received: idf_weights=None"
                )
            weights = np.asarray(list(idf_weights), np.float64)
            if len(weights) == len(tokens) + 1:
                weights = weights[1:]
            if len(weights) != len(tokens):
                raise ValueError(
                    f"idf_weights must have one weight per token ({len(tokens)}). Received: {len(weights)} weights"
                )
            # The out-of-vocabulary weight is the mean weight, as in tf.keras 2.
            self._idf = np.concatenate([[weights.mean() if len(weights) else 0.0], weights]).astype(np.float32)
        self._vocabulary = special + tokens
        self._index = {t: i for i, t in enumerate(self._vocabulary)}

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The vocabulary in index order, with the padding and OOV tokens first unless excluded."""
        if include_special_tokens:
            return list(self._vocabulary)
        return self._vocabulary[len(self._special()) :]

    def vocabulary_size(self) -> int:
        """The number of entries of the vocabulary, special tokens included."""
        return len(self._vocabulary)

    def save_vocabulary(self, path: str) -> None:
        """Writes the vocabulary, one token per line (special tokens included); `vocabulary=path` reads it back."""
        with open(path, "w", encoding=self.encoding) as f:
            f.write("\n".join(self._vocabulary) + "\n")

    # ------------------------------------------------------------------ call
    def call(self, inputs):
        if not self._vocabulary:
            raise ValueError(
                f"TextVectorization layer '{self.name}' has no vocabulary: call adapt() or pass vocabulary=."
            )
        texts = _texts(inputs)
        oov = self._index[OOV]
        sequences = [[self._index.get(t, oov) for t in self._tokens(text)] for text in texts]
        if self.output_mode == "int":
            length = self.output_sequence_length
            if length is None:
                length = max((len(s) for s in sequences), default=0)
            return jnp.asarray(pad_sequences(sequences, maxlen=length, padding="post", truncating="post"))
        width = self.max_tokens if self.pad_to_max_tokens and self.max_tokens else len(self._vocabulary)
        out = np.zeros((len(sequences), width), np.float32)
        for row, seq in enumerate(sequences):
            np.add.at(out[row], seq, 1.0)
        if self.output_mode == "multi_hot":
            out = np.minimum(out, 1.0)
        elif self.output_mode == "tf_idf":
            out[:, : len(self._idf)] *= self._idf
        return jnp.asarray(out)

    def __call__(self, inputs, *args, **kwargs):
        # Strings are not arrays JAX can hold: they go straight to `call`, on the host.
        if isinstance(inputs, (str, bytes)) or (
            isinstance(inputs, (list, tuple, np.ndarray)) and np.asarray(inputs, dtype=object).dtype == object
        ):
            if not self.built:
                self.built = True
            return self.call(np.asarray(inputs, dtype=object))
        return super().__call__(inputs, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        width = self.max_tokens if self.pad_to_max_tokens and self.max_tokens else len(self._vocabulary)
        return (input_shape[0], width)

    def get_config(self) -> dict[str, Any]:
        if callable(self.standardize) or callable(self.split):
            raise TypeError(
                "A TextVectorization with a callable standardize or split cannot be serialized by name; "
                f"register the callable. Received: standardize={self.standardize!r}, split={self.split!r}"
            )
        idf = None if self._idf is None else self._idf[1:].tolist()
        return {
            **super().get_config(),
            "max_tokens": self.max_tokens,
            "standardize": self.standardize,
            "split": self.split,
            "ngrams": list(self.ngrams) if isinstance(self.ngrams, tuple) else self.ngrams,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary": self.get_vocabulary(include_special_tokens=False) if self._vocabulary else None,
            "idf_weights": idf,
            "encoding": self.encoding,
        }
