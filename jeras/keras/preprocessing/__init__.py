"""`keras.preprocessing`: `sequence.pad_sequences`, `text.Tokenizer`, and the datasets from directories."""

from jeras.keras.preprocessing import sequence, text
from jeras.layers.preprocessing import image_dataset_from_directory, text_dataset_from_directory

__all__ = ["image_dataset_from_directory", "sequence", "text", "text_dataset_from_directory"]
