"""Vocabulary lookups: `StringLookup` and `IntegerLookup` (tokens to indices, or back with `invert`).

Index layout, as in Keras: with `output_mode="int"` and a `mask_token`, index 0 is the mask;
then come `num_oov_indices` out-of-vocabulary indices, then the vocabulary. In the vector
modes the mask has no index (masked values add nothing). `adapt` ranks tokens by decreasing
count, ties by decreasing token (Keras' order), so the same data give the same indices.

Where it runs: `StringLookup` works on strings, so it runs on the host before the compiled
step (call it on the raw data, or in the input pipeline, and feed its integer output to the
model). `IntegerLookup` is an array computation that also runs inside a compiled model,
except for FarmHash out-of-vocabulary buckets (`oov_method="farmhash"`), which hash on the host.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras.layers.layer import Layer
from jeras.layers.preprocessing.categorical import (
    check_dense,
    check_output_mode,
    check_salt,
    encode_categorical,
    host_values,
)
from jeras.layers.preprocessing.string_hash import hash_buckets

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
_OOV_METHODS = ("floormod", "farmhash")


class _IndexLookup(Layer):
    """The vocabulary bookkeeping shared by the lookups; subclasses convert tokens and look them up."""

    def __init__(
        self,
        *,
        max_tokens: int | None,
        num_oov_indices: int,
        mask_token,
        oov_token,
        vocabulary,
        idf_weights,
        invert: bool,
        output_mode: str,
        pad_to_max_tokens: bool,
        sparse: bool,
        salt,
        oov_method: str = "floormod",
        **kwargs: Any,
    ):
        kwargs.pop("vocabulary_size", None)
        super().__init__(**kwargs)
        if max_tokens is not None:
            ok = isinstance(max_tokens, (int, np.integer)) and not isinstance(max_tokens, bool) and max_tokens > 1
            if not ok:
                raise ValueError(f"max_tokens must be an integer above 1, or None. Received: max_tokens={max_tokens!r}")
            max_tokens = int(max_tokens)
        if (
            isinstance(num_oov_indices, bool)
            or not isinstance(num_oov_indices, (int, np.integer))
            or num_oov_indices < 0
        ):
            raise ValueError(
                f"num_oov_indices must be an integer of 0 or more. Received: num_oov_indices={num_oov_indices!r}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                f"pad_to_max_tokens=True needs max_tokens. Received: max_tokens=None, pad_to_max_tokens={pad_to_max_tokens}"
            )
        self.output_mode = check_output_mode(output_mode, _MODES)
        if invert and self.output_mode != "int":
            raise ValueError(f"invert=True needs output_mode='int'. Received: output_mode={output_mode!r}")
        if idf_weights is not None and self.output_mode != "tf_idf":
            raise ValueError(f"idf_weights apply to output_mode='tf_idf' only. Received: output_mode={output_mode!r}")
        if oov_method not in _OOV_METHODS:
            raise ValueError(f"oov_method must be one of {list(_OOV_METHODS)}. Received: oov_method={oov_method!r}")
        check_dense(sparse)
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = self._token(mask_token) if mask_token is not None else None
        self.oov_token = self._token(oov_token) if oov_token is not None else None
        self.invert = bool(invert)
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.oov_method = oov_method
        self.salt = check_salt(salt)
        self._given_vocabulary = None
        self._given_idf = None
        self._tokens: list = []
        self._index: dict = {}
        self._idf: np.ndarray | None = None
        if vocabulary is not None:
            if not isinstance(vocabulary, str):
                self._given_vocabulary = [self._token(t) for t in np.asarray(vocabulary).reshape(-1).tolist()]
                self._given_idf = None if idf_weights is None else np.asarray(idf_weights, np.float64).tolist()
            self.set_vocabulary(vocabulary, idf_weights)
        elif self.output_mode == "tf_idf" and idf_weights is not None:
            raise ValueError("idf_weights need a vocabulary. Received: vocabulary=None")

    # ------------------------------------------------------------------ subclass hooks
    def _token(self, value):
        """A vocabulary entry in its canonical Python form (str or int)."""
        raise NotImplementedError

    def _read_vocabulary_file(self, path: str) -> list:
        with open(path, encoding=getattr(self, "encoding", "utf-8")) as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        return [self._token(line) for line in lines]

    # ------------------------------------------------------------------ index layout
    def _oov_start(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self) -> int:
        return self._oov_start() + self.num_oov_indices

    def _special_tokens(self) -> list:
        return [self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The number of indices: the mask and OOV indices included."""
        return self._token_start() + len(self._tokens)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary in index order, with the mask and OOV tokens first unless excluded."""
        if include_special_tokens:
            return self._special_tokens() + list(self._tokens)
        return list(self._tokens)

    def _depth(self) -> int:
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    # ------------------------------------------------------------------ vocabulary
    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Sets the vocabulary (a list, an array, or a path to a file of one token per line).

        The list may start with the special tokens in index order (as `get_vocabulary()` gives
        them); with `output_mode="tf_idf"`, `idf_weights` gives one weight per entry of the list.
        """
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError("output_mode='tf_idf' needs idf_weights with the vocabulary. Received: idf_weights=None")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(
                f"idf_weights apply to output_mode='tf_idf' only. Received: output_mode={self.output_mode!r}"
            )
        if isinstance(vocabulary, str):
            if self.output_mode == "tf_idf":
                raise ValueError(
                    f"output_mode='tf_idf' cannot read its vocabulary from a file. Received: vocabulary={vocabulary!r}"
                )
            entries = self._read_vocabulary_file(vocabulary)
        else:
            entries = [self._token(t) for t in np.asarray(vocabulary, dtype=object).reshape(-1).tolist()]
        if not entries:
            raise ValueError(f"The vocabulary is empty. Received: vocabulary={vocabulary!r}")
        special = self._special_tokens()
        has_special = entries[: len(special)] == special
        tokens = entries[len(special) :] if has_special else entries
        repeated = sorted(t for t, n in Counter(tokens).items() if n > 1)
        if repeated:
            raise ValueError(f"The vocabulary repeats tokens. Received: repeated tokens {repeated[:5]}")
        for name, reserved, applies in (
            ("mask_token", self.mask_token, True),
            ("oov_token", self.oov_token, self.invert),
        ):
            if applies and reserved is not None and reserved in tokens:
                raise ValueError(
                    f"The vocabulary holds the reserved {name} after its special tokens; put the special tokens "
                    f"first, in the order {special}, or leave them out. Received: {name}={reserved!r}"
                )
        size = self._token_start() + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(
                f"The vocabulary has {size} entries with the special ones, more than max_tokens. "
                f"Received: max_tokens={self.max_tokens}"
            )
        idf = None
        if self.output_mode == "tf_idf":
            weights = np.asarray(idf_weights, np.float64).reshape(-1)
            if len(weights) != len(entries):
                raise ValueError(
                    f"idf_weights must have one weight per vocabulary entry ({len(entries)}). "
                    f"Received: {len(weights)} idf_weights"
                )
            front = [] if has_special else [weights.mean()] * self._token_start()
            idf = np.concatenate([front, weights])
        self._set_tokens(tokens, idf)

    def _set_tokens(self, tokens: list, idf: np.ndarray | None) -> None:
        self._tokens = list(tokens)
        start = self._token_start()
        self._index = {t: start + i for i, t in enumerate(self._tokens)}
        if idf is not None and self.pad_to_max_tokens:
            idf = np.concatenate([idf, np.zeros(self.max_tokens - len(idf))])
        self._idf = None if idf is None else idf.astype(np.float32)
        self._tables_changed()

    def _tables_changed(self) -> None:
        """Called after the vocabulary changes (subclasses rebuild their lookup arrays)."""

    def adapt(self, data, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learns the vocabulary (and the idf weights for `"tf_idf"`) from data.

        Args:
            data: an array or list of tokens (each row of a 2D one is a document, each element
                of a 1D one), or an iterable of such batches (a `(x, y)` pair's `y` is ignored).
            batch_size: accepted for compatibility.
            steps: with an iterable of batches, read at most this many. Default None (all).
        """
        if self._given_vocabulary is not None:
            raise ValueError(
                f"Layer '{self.name}' was given its vocabulary; adapt learns one only for a layer made without it."
            )
        if isinstance(data, (list, tuple, np.ndarray, jax.Array)):
            batches: Iterable = [data]
        else:
            batches = data
        counts: Counter = Counter()
        documents: Counter = Counter()
        n_documents = 0
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            if isinstance(batch, tuple) and not isinstance(data, tuple):
                batch = batch[0]
            values = host_values(batch)
            rows = values.reshape(-1, 1) if values.ndim <= 1 else values.reshape(values.shape[0], -1)
            for row in rows.tolist():
                row = [self._token(v) for v in row]
                counts.update(row)
                documents.update(set(row))
                n_documents += 1
        for reserved in (self.mask_token, self.oov_token):
            counts.pop(reserved, None)
        ranked = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens is not None:
            ranked = ranked[: self.max_tokens - self._token_start()]
        idf = None
        if self.output_mode == "tf_idf":
            weights = np.log(1.0 + n_documents / (1.0 + np.asarray([documents[t] for t in ranked], np.float64)))
            mean = weights.astype(np.float32).mean() if len(weights) else 0.0
            idf = np.concatenate([[mean] * self._token_start(), weights])
        self._set_tokens(ranked, idf)

    # ------------------------------------------------------------------ output
    def _check_ready(self) -> None:
        if self.output_mode == "tf_idf" and self._idf is None:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' has no idf weights: pass vocabulary= and idf_weights= "
                "or call adapt() before calling it with output_mode='tf_idf'."
            )
        if not self._tokens and not self.pad_to_max_tokens and self.output_mode != "int":
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' has no vocabulary: pass vocabulary= or call adapt() "
                f"before calling it with output_mode='{self.output_mode}'."
            )

    def _encode(self, indices):
        if self.output_mode == "int":
            return indices
        counted = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = encode_categorical(indices, counted, self._depth(), self.dtype)
        if self.output_mode == "tf_idf":
            out = out * jnp.asarray(self._idf, out.dtype)
        return out

    def _oov_error(self, values) -> ValueError:
        return ValueError(
            f"With num_oov_indices=0 every input must be in the vocabulary of layer '{self.name}'. "
            f"Received: out-of-vocabulary values {list(values)[:5]}"
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary": self.get_vocabulary(include_special_tokens=False) if self._tokens else None,
            "idf_weights": None if self._idf is None else self._idf[: self.vocabulary_size()].tolist(),
            "salt": self.salt,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        config = dict(config)
        idf = config.get("idf_weights")
        if idf is not None and config.get("vocabulary") is not None:
            # The stored weights cover the special indices too: give the vocabulary with them.
            layer = cls(**{**config, "vocabulary": None, "idf_weights": None})
            layer.set_vocabulary(layer._special_tokens() + list(config["vocabulary"]), idf)
            return layer
        return cls(**config)


_LOOKUP_ARGS = """max_tokens: the largest vocabulary size, the mask and OOV indices included. Default None (no limit).
        num_oov_indices: how many indices out-of-vocabulary tokens share (hashed among them when
            more than 1). Default 1; with 0, an out-of-vocabulary input raises a ValueError.
        mask_token: a token for masked (padding) values, index 0 in `"int"` mode. Default None.
        vocabulary: a list of tokens, or a path to a file of one token per line. Default None (`adapt`).
        idf_weights: with `"tf_idf"` and a vocabulary list, one weight per entry. Default None.
        invert: map indices back to tokens (`"int"` mode only). Default False.
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"`, `"count"` or `"tf_idf"` (the last four as
            `CategoryEncoding`, `"tf_idf"` being counts times the idf weights). Default `"int"`.
        pad_to_max_tokens: make the vector modes `max_tokens` wide. Default False.
        sparse: must be False (jeras arrays are dense). Default False."""


class StringLookup(_IndexLookup):
    __doc__ = f"""Maps strings to integer indices through a vocabulary (host-side; see the module docstring).

    Args:
        {_LOOKUP_ARGS}
        oov_token: the token `invert` gives for out-of-vocabulary indices. Default `"[UNK]"`.
        encoding: the text encoding of bytes inputs and vocabulary files. Default `"utf-8"`.
        salt: an integer or a pair: hash OOV tokens with SipHash keyed by it instead of FarmHash. Default None.

    Input shape: any, strings (a list, or a NumPy array of `str`/`bytes`/objects). Output: int32 indices
    of the same shape, a NumPy array of strings with `invert`, or vectors as `CategoryEncoding`.

    Example:
        >>> layer = StringLookup(vocabulary=["a", "b", "c"])
        >>> np.asarray(layer([["a", "c"], ["d", "b"]]))
        array([[1, 3],
               [0, 2]], dtype=int32)
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary=None,
        idf_weights=None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        salt=None,
        **kwargs: Any,
    ):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            salt=salt,
            **kwargs,
        )

    def _token(self, value) -> str:
        if isinstance(value, bytes):
            return value.decode(self.encoding)
        if isinstance(value, str):
            return value
        raise TypeError(f"StringLookup takes strings. Received: a value {value!r} of type {type(value).__name__}")

    def __call__(self, inputs, *args, **kwargs):
        # Strings are not arrays JAX can hold: the lookup runs on the host.
        self.built = True
        self._check_ready()
        values = host_values(inputs)
        if self.invert:
            return self._tokens_of(np.asarray(values).astype(np.int64))
        flat = [self._token(v) for v in values.reshape(-1).tolist()]
        return self._encode(jnp.asarray(self._indices_of(flat).reshape(values.shape)))

    def _indices_of(self, flat: list[str]) -> np.ndarray:
        out = np.fromiter((self._index.get(t, -1) for t in flat), np.int64, len(flat))
        is_mask = np.fromiter((t == self.mask_token for t in flat), bool, len(flat))
        missing = (out < 0) & ~is_mask
        if missing.any():
            if self.num_oov_indices == 0:
                raise self._oov_error(t for t, m in zip(flat, missing) if m)
            start = self._oov_start()
            if self.num_oov_indices == 1:
                out[missing] = start
            else:
                unknown = [t for t, m in zip(flat, missing) if m]
                salt = None if self.salt is None else tuple(self.salt)
                out[missing] = start + hash_buckets(unknown, self.num_oov_indices, salt)
        if self.mask_token is not None:
            # In the vector modes masked values have no index: -1 adds nothing when encoded.
            out[is_mask] = 0 if self.output_mode == "int" else -1
        return out.astype(np.int32)

    def _tokens_of(self, indices: np.ndarray) -> np.ndarray:
        table = self.get_vocabulary()
        flat = indices.reshape(-1).tolist()
        out = [
            self.mask_token
            if self.mask_token is not None and i == 0
            else table[i]
            if self._token_start() <= i < len(table)
            else self.oov_token
            for i in flat
        ]
        return np.asarray(out, dtype=object).reshape(indices.shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "encoding": self.encoding}


class IntegerLookup(_IndexLookup):
    __doc__ = f"""Maps integers to contiguous indices through a vocabulary (or back with `invert`).

    Runs inside compiled models too (see the module docstring). Indices are int32.

    Args:
        {_LOOKUP_ARGS}
        oov_token: the value `invert` gives for out-of-vocabulary indices. Default -1.
        vocabulary_dtype: `"int64"` (the only value, as in Keras). Default `"int64"`.
        oov_method: how values share the OOV indices when `num_oov_indices > 1`: `"floormod"`
            (`value mod num_oov_indices`, as tf.keras 2) or `"farmhash"` (hash of the decimal text,
            host-side). Default `"floormod"`.
        salt: with `oov_method="farmhash"`, hash with SipHash keyed by it. Default None.

    Input shape: any, integers. Output shape: the same for `"int"`; as `CategoryEncoding` otherwise.

    Example:
        >>> layer = IntegerLookup(vocabulary=[12, 36, 1138])
        >>> np.asarray(layer(np.array([[12, 1138], [42, 36]])))
        array([[1, 3],
               [0, 2]], dtype=int32)
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary=None,
        vocabulary_dtype: str = "int64",
        idf_weights=None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt=None,
        **kwargs: Any,
    ):
        if vocabulary_dtype != "int64":
            raise ValueError(f"vocabulary_dtype must be 'int64'. Received: vocabulary_dtype={vocabulary_dtype!r}")
        if salt is not None and oov_method != "farmhash":
            raise ValueError(f"salt applies to oov_method='farmhash' only. Received: oov_method={oov_method!r}")
        self.vocabulary_dtype = vocabulary_dtype
        self._keys = self._positions = self._table = None
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            salt=salt,
            oov_method=oov_method,
            **kwargs,
        )

    def _token(self, value) -> int:
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
        elif isinstance(value, (int, np.integer, float, np.floating)) and not isinstance(value, bool):
            return int(value)
        raise TypeError(f"IntegerLookup takes integers. Received: a value {value!r} of type {type(value).__name__}")

    def _tables_changed(self) -> None:
        # Sorted keys and their indices: `searchsorted` looks values up inside compiled code.
        keys = np.asarray(self._tokens, np.int64)
        order = np.argsort(keys, kind="stable")
        self._keys = keys[order]
        self._positions = (order + self._token_start()).astype(np.int32)
        self._table = np.asarray(self.get_vocabulary(), np.int64)

    def call(self, inputs):
        self._check_ready()
        if self.invert:
            return self._values_of(inputs)
        if jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(jnp.int32)
        return self._encode(self._indices_of(inputs))

    def _indices_of(self, values):
        start = self._oov_start()
        if not self._tokens:
            found = jnp.zeros(values.shape, bool)
            indices = jnp.full(values.shape, -1, jnp.int32)
        else:
            keys = jnp.asarray(self._keys, values.dtype)
            at = jnp.clip(jnp.searchsorted(keys, values), 0, len(self._keys) - 1)
            found = keys[at] == values
            indices = jnp.where(found, jnp.asarray(self._positions)[at], -1)
        concrete = not isinstance(values, jax.core.Tracer)
        if self.mask_token is not None:
            found = found | (values == self.mask_token)
        if self.num_oov_indices == 0:
            if concrete and not bool(jnp.all(found)):
                raise self._oov_error(np.asarray(values)[~np.asarray(found)].tolist())
        elif self.num_oov_indices == 1:
            indices = jnp.where(found, indices, start)
        elif self.oov_method == "floormod":
            indices = jnp.where(found, indices, start + jnp.mod(values, self.num_oov_indices).astype(jnp.int32))
        else:
            if not concrete:
                raise ValueError(
                    "oov_method='farmhash' hashes on the host: call the IntegerLookup on arrays before the model. "
                    f"Received: oov_method={self.oov_method!r} inside a compiled function"
                )
            salt = None if self.salt is None else tuple(self.salt)
            buckets = hash_buckets(np.asarray(values).reshape(-1).tolist(), self.num_oov_indices, salt)
            indices = jnp.where(found, indices, start + jnp.asarray(buckets.reshape(values.shape), jnp.int32))
        if self.mask_token is not None:
            indices = jnp.where(values == self.mask_token, 0 if self.output_mode == "int" else -1, indices)
        return indices.astype(jnp.int32)

    def _values_of(self, indices):
        indices = indices.astype(jnp.int32)
        table = jnp.asarray(self._table, jnp.int32)
        valid = (indices >= self._token_start()) & (indices < len(self._table))
        out = jnp.where(valid, table[jnp.clip(indices, 0, len(self._table) - 1)], self.oov_token)
        if self.mask_token is not None:
            out = jnp.where(indices == 0, self.mask_token, out)
        return out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "vocabulary_dtype": self.vocabulary_dtype, "oov_method": self.oov_method}
