"""`tf.print`: prints values eagerly and from inside compiled code (through `jax.debug.callback`)."""

from __future__ import annotations

import builtins
import sys
from typing import Any, TextIO

import jax
import numpy as np


def print(
    *inputs: Any,
    output_stream: TextIO | None = None,
    sep: str = " ",
    end: str = "\n",
    summarize: int = 3,
    name: str | None = None,
) -> None:
    """Prints `inputs` (arrays and other values) to `output_stream` (standard error by default, as in TensorFlow).

    Inside a compiled step the values are printed when the step runs, not when it is traced.

    Args:
        *inputs: the things to print.
        output_stream: a file-like object. Default None: `sys.stderr` at the time of the call.
        sep: the separator. Default `" "`.
        end: printed last. Default `"\\n"`.
        summarize: how many leading and trailing entries of each axis to show; -1 or None shows
            all. Default 3.
        name: ignored. Default None.
    """
    stream = sys.stderr if output_stream is None else output_stream
    arrays = [x for x in inputs if isinstance(x, jax.Array)]
    edge = sys.maxsize if summarize is None or summarize < 0 else int(summarize)

    def show(*values: np.ndarray) -> None:
        supplied = iter(values)
        parts = [
            np.array2string(np.asarray(next(supplied)), threshold=2 * edge, edgeitems=edge)
            if isinstance(x, jax.Array)
            else str(x)
            for x in inputs
        ]
        builtins.print(*parts, sep=sep, end=end, file=stream)

    jax.debug.callback(show, *arrays)
