"""Data sets: readers for the standard file formats."""

from jeras.datasets.idx import parse_idx, read_idx, read_image_label_pair

__all__ = ["parse_idx", "read_idx", "read_image_label_pair"]
