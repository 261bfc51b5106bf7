"""The table of timestep masks: how `Embedding(mask_zero=True)` and `Masking` tell later layers which steps are padding.

A mask travels beside the array it describes rather than inside it: `attach_mask` files the
mask in an `ArrayTable` (`jeras.backend.array_table`) under the array's identity, and the entry
is forgotten as soon as the array is garbage-collected. `Layer.__call__` reads the mask of its
inputs, passes it to `call` when `call` takes a `mask` argument, and files the layer's
`compute_mask` result under the outputs. This works the same in eager calls, in `Sequential`
and functional models, and inside compiled steps.
"""

from __future__ import annotations

from jeras.backend.array_table import ArrayTable

_masks = ArrayTable()


def attach_mask(x, mask) -> None:
    """Files `mask` as the mask of array `x` (None clears it); other objects are ignored."""
    _masks.attach(x, mask)


def mask_of(x):
    """Returns the mask filed for array `x`, or None."""
    return _masks.get(x)


def input_mask(inputs):
    """The mask of `inputs`: of the array itself, or a list of masks for a list (None if none has one)."""
    if isinstance(inputs, (list, tuple)):
        masks = [mask_of(x) for x in inputs]
        return masks if any(m is not None for m in masks) else None
    return mask_of(inputs)


def attach_output_masks(outputs, masks) -> None:
    """Files `masks` (one mask, or a list matching a list of outputs) under `outputs`."""
    if isinstance(outputs, (list, tuple)):
        masks = masks if isinstance(masks, (list, tuple)) else [masks] + [None] * (len(outputs) - 1)
        for out, mask in zip(outputs, masks):
            attach_mask(out, mask)
    else:
        attach_mask(outputs, masks[0] if isinstance(masks, (list, tuple)) else masks)
