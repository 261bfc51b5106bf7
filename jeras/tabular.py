"""pandas DataFrames and Series as arrays, for `fit`, `evaluate`, `predict` and `adapt`.

tf.keras 2.x takes them wherever it takes NumPy arrays, and so does jeras: a DataFrame becomes a
2-D array with its columns in their order, a Series a 1-D array. pandas is not imported (not a
dependency): objects are recognized by their interface.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def is_pandas(x: Any) -> bool:
    """Whether `x` is a pandas DataFrame or Series."""
    module = type(x).__module__
    return (module == "pandas" or module.startswith("pandas.")) and hasattr(x, "to_numpy") and hasattr(x, "dtypes")


def to_numpy(x: Any, *, argument: str) -> np.ndarray:
    """The values of a DataFrame (columns in order) or Series, in the common dtype of its columns.

    Raises:
        TypeError: for columns that do not hold numbers or booleans (strings, categories, dates),
            naming them.
    """
    columns = list(x.columns) if hasattr(x, "columns") else [getattr(x, "name", None)]
    dtypes = list(x.dtypes) if hasattr(x, "columns") else [x.dtypes]
    kinds = [getattr(d, "kind", "O") for d in dtypes]
    bad = [(c, str(d)) for c, d, k in zip(columns, dtypes, kinds) if k not in "biuf"]
    if bad:
        raise TypeError(
            f"{argument} must hold numbers: encode its non-numeric columns first (for example with "
            f"pandas.get_dummies, or a keras.layers.StringLookup in the model). Received: {argument} with columns "
            + ", ".join(f"{c!r} of dtype {d}" for c, d in bad)
        )
    common = np.result_type(*[np.dtype(getattr(d, "numpy_dtype", d)) for d in dtypes])
    if common.kind != "f" and bool(np.asarray(x.isna()).any()):
        common = np.dtype("float64")
    if common.kind == "f":
        # Missing values of nullable columns become NaN, which `fit` then reports.
        return x.to_numpy(dtype=common, na_value=np.nan)
    return x.to_numpy(dtype=common)
