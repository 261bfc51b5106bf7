"""`keras.preprocessing.text`."""

from jeras.layers.preprocessing import Tokenizer, text_to_word_sequence, tokenizer_from_json

__all__ = ["Tokenizer", "text_to_word_sequence", "tokenizer_from_json"]
