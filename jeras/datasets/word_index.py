"""Reading the word-index JSON files of the IMDB and Reuters data sets."""

from __future__ import annotations

import json
import os


def parse_word_index(raw: bytes, *, source: str) -> dict[str, int]:
    """Parses a word index: a JSON object from word to positive integer index.

    Args:
        raw: the file contents.
        source: the file name used in error messages.

    Returns:
        The dict from word to index.

    Raises:
        ValueError: the bytes are not such a JSON object.
    """
    try:
        index = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ValueError(f"{source} is not valid JSON ({err}). Download it again or replace it.") from err
    if not isinstance(index, dict):
        raise ValueError(f"{source} must hold a JSON object from word to index. Received: {type(index).__name__}")
    for word, value in index.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(
                f"{source} must map each word to a non-negative integer index. Received: {word!r}: {value!r}. "
                "The file is garbled: download it again or replace it."
            )
    return index


def read_word_index(path: str | os.PathLike) -> dict[str, int]:
    """Reads a word-index JSON file (see `parse_word_index`)."""
    with open(path, "rb") as f:
        return parse_word_index(f.read(), source=os.fspath(path))
