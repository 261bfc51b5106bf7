"""`tf.linalg`: matrix products, inverses, decompositions and norms over jax.numpy.linalg.

Every function treats the last two axes as the matrix and the rest as a batch, as TensorFlow
does. `svd` returns `(s, u, v)` with `tensor = u @ diag(s) @ adjoint(v)`, TensorFlow's order
and convention (not NumPy's `u, s, vh`). `name` arguments are ignored.
See docs/architecture.md, "The tf namespace".
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras.tf._arrays import einsum, eye, safe_sqrt, tensordot
from jeras.tf._convert import TensorLike, static_axis, static_int, to_array
from jeras.tf._dtypes import as_jax_dtype
from jeras.tf._unsupported import unsupported_getattr
from jeras.tf.math import l2_normalize


def _matrix_t(x: jax.Array, conjugate: bool = False) -> jax.Array:
    x = jnp.swapaxes(x, -1, -2)
    return jnp.conj(x) if conjugate else x


def matmul(
    a: TensorLike,
    b: TensorLike,
    transpose_a: bool = False,
    transpose_b: bool = False,
    adjoint_a: bool = False,
    adjoint_b: bool = False,
    a_is_sparse: bool = False,
    b_is_sparse: bool = False,
    output_type: Any = None,
    name: str | None = None,
) -> jax.Array:
    """Matrix product `a @ b` over the last two axes, batched over the leading ones.

    Args:
        a, b: arrays of rank >= 2 with matching inner dimensions.
        transpose_a, transpose_b: transpose that operand's last two axes first. Default False.
        adjoint_a, adjoint_b: conjugate-transpose that operand first. Default False.
        a_is_sparse, b_is_sparse: ignored (hints for TensorFlow's kernels). Default False.
        output_type: optional dtype of the result. Default None (the inputs' dtype).
        name: ignored. Default None.
    """
    x = to_array(a, argument="a")
    y = to_array(b, argument="b")
    if transpose_a or adjoint_a:
        x = _matrix_t(x, conjugate=adjoint_a)
    if transpose_b or adjoint_b:
        y = _matrix_t(y, conjugate=adjoint_b)
    out = jnp.matmul(x, y)
    return out if output_type is None else out.astype(as_jax_dtype(output_type, argument="output_type"))


def matvec(
    a: TensorLike, b: TensorLike, transpose_a: bool = False, adjoint_a: bool = False, name: str | None = None
) -> jax.Array:
    """Matrix-vector product `a @ b` for matrices `a` (`[..., M, N]`) and vectors `b` (`[..., N]`)."""
    x = to_array(a, argument="a")
    if transpose_a or adjoint_a:
        x = _matrix_t(x, conjugate=adjoint_a)
    return jnp.matmul(x, to_array(b, argument="b")[..., None])[..., 0]


def matrix_transpose(a: TensorLike, conjugate: bool = False, name: str | None = None) -> jax.Array:
    """Swaps the last two axes; `conjugate` (default False) also conjugates."""
    return _matrix_t(to_array(a, argument="a"), conjugate=conjugate)


def adjoint(matrix: TensorLike, name: str | None = None) -> jax.Array:
    """Conjugate transpose over the last two axes."""
    return _matrix_t(to_array(matrix, argument="matrix"), conjugate=True)


def inv(input: TensorLike, adjoint: bool = False, name: str | None = None) -> jax.Array:
    """Inverse of square matrices (of their adjoints when `adjoint`, default False)."""
    x = to_array(input, argument="input")
    return jnp.linalg.inv(_matrix_t(x, conjugate=True) if adjoint else x)


def det(input: TensorLike, name: str | None = None) -> jax.Array:
    """Determinant of square matrices."""
    return jnp.linalg.det(to_array(input, argument="input"))


def slogdet(input: TensorLike, name: str | None = None) -> tuple[jax.Array, jax.Array]:
    """`(sign, log(abs(det)))` of square matrices, stable where `det` overflows."""
    sign, logabs = jnp.linalg.slogdet(to_array(input, argument="input"))
    return sign, logabs


def logdet(matrix: TensorLike, name: str | None = None) -> jax.Array:
    """Log-determinant of Hermitian positive-definite matrices (from their Cholesky factor)."""
    factor = jnp.linalg.cholesky(to_array(matrix, argument="matrix"))
    return 2 * jnp.sum(jnp.log(jnp.real(jnp.diagonal(factor, axis1=-2, axis2=-1))), axis=-1)


def solve(matrix: TensorLike, rhs: TensorLike, adjoint: bool = False, name: str | None = None) -> jax.Array:
    """`X` with `matrix @ X = rhs` (`adjoint(matrix) @ X = rhs` when `adjoint`, default False)."""
    a = to_array(matrix, argument="matrix")
    return jnp.linalg.solve(_matrix_t(a, conjugate=True) if adjoint else a, to_array(rhs, argument="rhs"))


def triangular_solve(
    matrix: TensorLike, rhs: TensorLike, lower: bool = True, adjoint: bool = False, name: str | None = None
) -> jax.Array:
    """`X` with `matrix @ X = rhs` for triangular `matrix` (`lower` default True, `adjoint` default False)."""
    a = to_array(matrix, argument="matrix")
    b = to_array(rhs, a.dtype, argument="rhs")
    return jax.lax.linalg.triangular_solve(a, b, left_side=True, lower=lower, transpose_a=adjoint, conjugate_a=adjoint)


def cholesky(input: TensorLike, name: str | None = None) -> jax.Array:
    """Lower Cholesky factor `L` of Hermitian positive-definite matrices (`input = L @ adjoint(L)`)."""
    return jnp.linalg.cholesky(to_array(input, argument="input"))


def qr(input: TensorLike, full_matrices: bool = False, name: str | None = None) -> tuple[jax.Array, jax.Array]:
    """`(q, r)` with orthonormal `q` and upper-triangular `r`; `full_matrices` default False (reduced)."""
    q, r = jnp.linalg.qr(to_array(input, argument="input"), mode="complete" if full_matrices else "reduced")
    return q, r


def svd(tensor: TensorLike, full_matrices: bool = False, compute_uv: bool = True, name: str | None = None):
    """Singular values, and vectors when `compute_uv` (default True), in TensorFlow's order `(s, u, v)`.

    `tensor = u @ diag(s) @ adjoint(v)`; `full_matrices` (default False) gives square `u` and `v`.
    """
    x = to_array(tensor, argument="tensor")
    if not compute_uv:
        return jnp.linalg.svd(x, compute_uv=False)
    u, s, vh = jnp.linalg.svd(x, full_matrices=full_matrices)
    return s, u, _matrix_t(vh, conjugate=True)


def eigh(tensor: TensorLike, name: str | None = None) -> tuple[jax.Array, jax.Array]:
    """`(eigenvalues, eigenvectors)` of Hermitian matrices, eigenvalues ascending, vectors in columns."""
    values, vectors = jnp.linalg.eigh(to_array(tensor, argument="tensor"))
    return values, vectors


def eigvalsh(tensor: TensorLike, name: str | None = None) -> jax.Array:
    """Eigenvalues of Hermitian matrices, ascending."""
    return jnp.linalg.eigvalsh(to_array(tensor, argument="tensor"))


def pinv(a: TensorLike, rcond: float | None = None, validate_args: bool = False, name: str | None = None) -> jax.Array:
    """Moore-Penrose pseudo-inverse; singular values below `rcond * max(s)` count as zero (default None: NumPy's)."""
    return jnp.linalg.pinv(to_array(a, argument="a"), rtol=rcond)


def diag(diagonal: TensorLike, name: str | None = None, k: int = 0) -> jax.Array:
    """Matrices with `diagonal` (`[..., N]`) on diagonal `k` (default 0, the main one) and zeros elsewhere."""
    d = to_array(diagonal, argument="diagonal")
    return jnp.vectorize(partial(jnp.diag, k=static_int(k, "k")), signature="(n)->(m,m)")(d)


def diag_part(input: TensorLike, name: str | None = None, k: int = 0) -> jax.Array:
    """Diagonal `k` (default 0) of the matrices in `input` (`[..., M, N]` -> `[..., min(M, N)]`)."""
    return jnp.diagonal(to_array(input, argument="input"), offset=static_int(k, "k"), axis1=-2, axis2=-1)


def trace(x: TensorLike, name: str | None = None) -> jax.Array:
    """Sum of the main diagonal of each matrix."""
    return jnp.trace(to_array(x), axis1=-2, axis2=-1)


def band_part(input: TensorLike, num_lower: int, num_upper: int, name: str | None = None) -> jax.Array:
    """Keeps `num_lower` sub-diagonals and `num_upper` super-diagonals (-1: all), zeroing the rest.

    `band_part(tf.ones((n, n)), -1, 0)` is the lower-triangular (causal) mask.
    """
    x = to_array(input, argument="input")
    lower = static_int(num_lower, "num_lower")
    upper = static_int(num_upper, "num_upper")
    rows = np.arange(x.shape[-2])[:, None]
    cols = np.arange(x.shape[-1])[None, :]
    keep = ((lower < 0) | (rows - cols <= lower)) & ((upper < 0) | (cols - rows <= upper))
    return jnp.where(keep, x, jnp.zeros((), x.dtype))


def cross(a: TensorLike, b: TensorLike, name: str | None = None) -> jax.Array:
    """Cross product of 3-vectors along the last axis."""
    return jnp.cross(to_array(a, argument="a"), to_array(b, argument="b"))


def norm(
    tensor: TensorLike, ord: Any = "euclidean", axis: Any = None, keepdims: bool | None = None, name: str | None = None
) -> jax.Array:
    """Vector or matrix norm.

    Args:
        tensor: an array.
        ord: `"euclidean"` (default), `"fro"`, 1, 2, `np.inf` or a positive number for vectors;
            `"euclidean"`/`"fro"`, 1, 2 or `np.inf` for matrices.
        axis: None (default: the whole array as one vector), an int (vectors along it), or a
            pair of ints (matrices over them).
        keepdims: keep the reduced axes as size 1. Default None (False).
        name: ignored. Default None.
    """
    x = to_array(tensor, argument="tensor")
    axis = static_axis(axis)
    keep = bool(keepdims)
    matrix = isinstance(axis, tuple) and len(axis) == 2
    if ord in ("euclidean", "fro"):
        ord = "fro" if matrix else 2
    if axis is None:
        out = jnp.linalg.norm(x.reshape(-1), ord=ord)
        return out.reshape((1,) * x.ndim) if keep else out
    if isinstance(axis, tuple) and len(axis) == 1:
        axis = axis[0]
    return jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keep)


def global_norm(t_list: Sequence[TensorLike], name: str | None = None) -> jax.Array:
    """`sqrt(sum of the squares of every element of every array in t_list)`."""
    squares = [jnp.sum(jnp.square(to_array(t, argument="t_list"))) for t in t_list]
    return safe_sqrt(sum(squares, jnp.zeros(())))


__getattr__ = unsupported_getattr("linalg")

__all__ = [
    "adjoint",
    "band_part",
    "cholesky",
    "cross",
    "det",
    "diag",
    "diag_part",
    "eigh",
    "eigvalsh",
    "einsum",
    "eye",
    "global_norm",
    "inv",
    "l2_normalize",
    "logdet",
    "matmul",
    "matrix_transpose",
    "matvec",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "tensordot",
    "trace",
    "triangular_solve",
]
