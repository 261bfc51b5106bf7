"""Preprocessing: host-side utilities (`pad_sequences`, `Tokenizer`, datasets from directories)."""

from jeras.layers.preprocessing.directory import (
    DirectoryDataset,
    image_dataset_from_directory,
    text_dataset_from_directory,
)
from jeras.layers.preprocessing.sequence import pad_sequences
from jeras.layers.preprocessing.text import Tokenizer, text_to_word_sequence, tokenizer_from_json

__all__ = [
    "DirectoryDataset",
    "Tokenizer",
    "image_dataset_from_directory",
    "pad_sequences",
    "text_dataset_from_directory",
    "text_to_word_sequence",
    "tokenizer_from_json",
]
