"""The string hashes of Keras' `Hashing` and of the lookup layers' out-of-vocabulary buckets.

Keras hashes through TensorFlow: `tf.strings.to_hash_bucket_fast` is FarmHash's
`Fingerprint64` (the stable 64-bit fingerprint of farmhash-na) modulo the number of bins, and
`tf.strings.to_hash_bucket_strong` is SipHash-2-4 keyed by a two-integer salt. Both are written
here in plain Python on 64-bit integers, so jeras gives the same bins without TensorFlow; the
tests compare them with TensorFlow's outputs. They run on the host, as string processing does.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

_MASK = (1 << 64) - 1
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F


def _fetch64(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 8], "little")


def _fetch32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def _rotate_right(value: int, shift: int) -> int:
    return value if shift == 0 else ((value >> shift) | (value << (64 - shift))) & _MASK


def _shift_mix(value: int) -> int:
    return value ^ (value >> 47)


def _mix16(u: int, v: int, mul: int) -> int:
    a = ((u ^ v) * mul) & _MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _upto16(data: bytes) -> int:
    n = len(data)
    if n >= 8:
        mul = _K2 + 2 * n
        a = (_fetch64(data, 0) + _K2) & _MASK
        b = _fetch64(data, n - 8)
        c = (_rotate_right(b, 37) * mul + a) & _MASK
        d = ((_rotate_right(a, 25) + b) * mul) & _MASK
        return _mix16(c, d, mul)
    if n >= 4:
        mul = _K2 + 2 * n
        return _mix16(n + (_fetch32(data, 0) << 3), _fetch32(data, n - 4), mul)
    if n > 0:
        y = data[0] + (data[n >> 1] << 8)
        z = n + (data[n - 1] << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _upto32(data: bytes) -> int:
    n = len(data)
    mul = _K2 + 2 * n
    a = (_fetch64(data, 0) * _K1) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, n - 8) * mul) & _MASK
    d = (_fetch64(data, n - 16) * _K2) & _MASK
    return _mix16(
        (_rotate_right((a + b) & _MASK, 43) + _rotate_right(c, 30) + d) & _MASK,
        (a + _rotate_right((b + _K2) & _MASK, 18) + c) & _MASK,
        mul,
    )


def _upto64(data: bytes) -> int:
    n = len(data)
    mul = _K2 + 2 * n
    a = (_fetch64(data, 0) * _K2) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, n - 8) * mul) & _MASK
    d = (_fetch64(data, n - 16) * _K2) & _MASK
    y = (_rotate_right((a + b) & _MASK, 43) + _rotate_right(c, 30) + d) & _MASK
    z = _mix16(y, (a + _rotate_right((b + _K2) & _MASK, 18) + c) & _MASK, mul)
    e = (_fetch64(data, 16) * mul) & _MASK
    f = _fetch64(data, 24)
    g = ((y + _fetch64(data, n - 32)) * mul) & _MASK
    h = ((z + _fetch64(data, n - 24)) * mul) & _MASK
    return _mix16(
        (_rotate_right((e + f) & _MASK, 43) + _rotate_right(g, 30) + h) & _MASK,
        (e + _rotate_right((f + a) & _MASK, 18) + g) & _MASK,
        mul,
    )


def _weak32(data: bytes, at: int, a: int, b: int) -> tuple[int, int]:
    w, x, y, z = (_fetch64(data, at + 8 * i) for i in range(4))
    a = (a + w) & _MASK
    b = _rotate_right((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rotate_right(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def fingerprint64(data: bytes) -> int:
    """FarmHash `Fingerprint64` of `data`, an unsigned 64-bit integer (TensorFlow's `Fingerprint64`)."""
    n = len(data)
    if n <= 16:
        return _upto16(data)
    if n <= 32:
        return _upto32(data)
    if n <= 64:
        return _upto64(data)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v = (0, 0)
    w = (0, 0)
    x = (x * _K2 + _fetch64(data, 0)) & _MASK
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    at = 0
    while at != end:
        x = (_rotate_right((x + y + v[0] + _fetch64(data, at + 8)) & _MASK, 37) * _K1) & _MASK
        y = (_rotate_right((y + v[1] + _fetch64(data, at + 48)) & _MASK, 42) * _K1) & _MASK
        x ^= w[1]
        y = (y + v[0] + _fetch64(data, at + 40)) & _MASK
        z = (_rotate_right((z + w[0]) & _MASK, 33) * _K1) & _MASK
        v = _weak32(data, at, (v[1] * _K1) & _MASK, (x + w[0]) & _MASK)
        w = _weak32(data, at + 32, (z + w[1]) & _MASK, (y + _fetch64(data, at + 16)) & _MASK)
        z, x = x, z
        at += 64
    mul = _K1 + ((z & 0xFF) << 1)
    at = last64
    w0 = (w[0] + ((n - 1) & 63)) & _MASK
    v0 = (v[0] + w0) & _MASK
    w0 = (w0 + v0) & _MASK
    v, w = (v0, v[1]), (w0, w[1])
    x = (_rotate_right((x + y + v[0] + _fetch64(data, at + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rotate_right((y + v[1] + _fetch64(data, at + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w[1] * 9) & _MASK
    y = (y + v[0] * 9 + _fetch64(data, at + 40)) & _MASK
    z = (_rotate_right((z + w[0]) & _MASK, 33) * mul) & _MASK
    v = _weak32(data, at, (v[1] * mul) & _MASK, (x + w[0]) & _MASK)
    w = _weak32(data, at + 32, (z + w[1]) & _MASK, (y + _fetch64(data, at + 16)) & _MASK)
    z, x = x, z
    return _mix16(
        (_mix16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _MASK,
        (_mix16(v[1], w[1], mul) + x) & _MASK,
        mul,
    )


def _rotate_left(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK


def _sip_rounds(v: list[int], count: int) -> None:
    v0, v1, v2, v3 = v
    for _ in range(count):
        v0 = (v0 + v1) & _MASK
        v1 = _rotate_left(v1, 13) ^ v0
        v0 = _rotate_left(v0, 32)
        v2 = (v2 + v3) & _MASK
        v3 = _rotate_left(v3, 16) ^ v2
        v0 = (v0 + v3) & _MASK
        v3 = _rotate_left(v3, 21) ^ v0
        v2 = (v2 + v1) & _MASK
        v1 = _rotate_left(v1, 17) ^ v2
        v2 = _rotate_left(v2, 32)
    v[:] = [v0, v1, v2, v3]


def siphash64(data: bytes, key: tuple[int, int]) -> int:
    """SipHash-2-4 of `data` under the 128-bit key `(k0, k1)` (TensorFlow's `StrongKeyedHash`)."""
    k0, k1 = (int(k) & _MASK for k in key)
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]
    n = len(data)
    full = n - n % 8
    blocks = [_fetch64(data, at) for at in range(0, full, 8)]
    blocks.append(int.from_bytes(data[full:], "little") | ((n & 0xFF) << 56))
    for m in blocks:
        v[3] ^= m
        _sip_rounds(v, 2)
        v[0] ^= m
    v[2] ^= 0xFF
    _sip_rounds(v, 4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def as_hash_bytes(value) -> bytes:
    """The bytes Keras hashes for a value: UTF-8 of a string, the decimal text of an integer.

    Floats are first cut to integers, as Keras casts them to int64 before hashing.
    """
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return str(int(value)).encode()


def hash_buckets(values: Iterable, num_buckets: int, salt: tuple[int, int] | None = None) -> np.ndarray:
    """Bucket of each value, `hash(value) mod num_buckets`: FarmHash without a salt, SipHash with one.

    Returns a flat int64 NumPy array, one bucket per value.
    """
    memo: dict[bytes, int] = {}
    out = []
    for value in values:
        data = as_hash_bytes(value)
        bucket = memo.get(data)
        if bucket is None:
            digest = fingerprint64(data) if salt is None else siphash64(data, salt)
            bucket = memo[data] = digest % num_buckets
        out.append(bucket)
    return np.asarray(out, np.int64)
