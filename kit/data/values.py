"""Turn raw pixel and label arrays into kit's types (uint8 pixels, int64 labels) without silently changing them.

A plain ``astype`` wraps big integers, truncates fractions, drops imaginary parts and clips 16-bit
pixels; every helper here either converts by a documented rule or raises a DataError naming the input.
"""
from __future__ import annotations

import numbers
import re
import warnings

import numpy as np

from kit.errors import DataError

INT64_MIN, INT64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)
_CHUNK = 1024  # images converted at a time, so big float arrays need no full float64 copy


def pixels_to_uint8(arr: np.ndarray, name: str) -> np.ndarray:
    """N,... pixel array -> uint8. uint8 as is; integers by the whole array, floats image by image.

    Integers: values must lie in [0, 255] and are kept; an array holding only 0 and 1 (a binary mask) becomes 0/255.
    Floats: see :func:`float_pixels_to_uint8`. Complex, bool and non-numeric arrays are refused.
    """
    arr = np.asarray(arr)
    if arr.dtype == np.uint8:
        return arr
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise DataError(f"{name}: image array is complex ({arr.dtype}); pixels must be real numbers")
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
        raise DataError(f"{name}: image array has non-numeric dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.integer):
        return _integer_pixels(arr, name)
    return float_pixels_to_uint8(arr, name)


def _integer_pixels(arr: np.ndarray, name: str) -> np.ndarray:
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi > 255:
        raise DataError(f"{name}: integer pixel values must lie in [0, 255], got [{lo}, {hi}]")
    out = arr.astype(np.uint8)
    return out * np.uint8(255) if hi <= 1 else out


def float_pixels_to_uint8(arr: np.ndarray, name: str) -> np.ndarray:
    """Float N,... images -> uint8, each image by its own range so one outlier cannot darken the rest.

    An image whose values lie within [0, 1] is multiplied by 255; one within [0, 255] (max above 1) is
    taken as is; both are then rounded. Negative values, values above 255, NaN and inf raise a DataError
    naming the observed range. When some images use [0, 1] and others 0..255 one warning gives the counts.
    """
    flat = arr.reshape(len(arr), -1)
    lo, hi = flat.min(axis=1).astype(np.float64), flat.max(axis=1).astype(np.float64)
    _check_float_range(lo, hi, name)
    unit = hi <= 1.0
    _warn_mixed_ranges(unit, hi, name)
    out = np.empty(arr.shape, dtype=np.uint8)
    scale = np.where(unit, 255.0, 1.0).reshape(-1, *[1] * (arr.ndim - 1))
    for start in range(0, len(arr), _CHUNK):
        part = slice(start, start + _CHUNK)
        out[part] = np.clip(np.rint(arr[part].astype(np.float64) * scale[part]), 0, 255)
    return out


def _check_float_range(lo: np.ndarray, hi: np.ndarray, name: str) -> None:
    bad_value = ~(np.isfinite(lo) & np.isfinite(hi))
    if bad_value.any():
        i = int(np.flatnonzero(bad_value)[0])
        raise DataError(f"{name}: pixel values must be finite; {int(bad_value.sum())} images contain NaN or inf "
                        f"(first: image {i}, range [{lo[i]:g}, {hi[i]:g}])")
    bad_range = (lo < 0) | (hi > 255)
    if bad_range.any():
        i = int(np.flatnonzero(bad_range)[0])
        raise DataError(f"{name}: pixel values must lie in [0, 1] or [0, 255], got [{lo.min():g}, {hi.max():g}] "
                        f"({int(bad_range.sum())} images outside, first: image {i})")


def _warn_mixed_ranges(unit: np.ndarray, hi: np.ndarray, name: str) -> None:
    """All-zero images read the same either way, so they count for neither side."""
    n_unit, n_wide = int((unit & (hi > 0)).sum()), int((~unit).sum())
    if n_unit and n_wide:
        warnings.warn(f"{name}: {n_unit} images have values within [0, 1] (scaled by 255) while {n_wide} use the "
                      "0..255 range (kept); each image was converted by its own range", stacklevel=3)


def uint16_to_uint8(arr: np.ndarray, name: str) -> np.ndarray:
    """16-bit pixels -> 8-bit by the 16-bit range (round(v * 255 / 65535)), not by clipping at 255."""
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi > 65535:
        raise DataError(f"{name}: 16/32-bit integer pixels must lie in [0, 65535], got [{lo}, {hi}]")
    return np.rint(arr.astype(np.float64) * (255.0 / 65535.0)).astype(np.uint8)


def to_int64_labels(values, name: str) -> np.ndarray:
    """Labels as int64, or a DataError: a plain cast would wrap big integers and truncate fractions silently."""
    arr = np.asarray(values)
    if arr.dtype == np.int64:
        return arr.copy()  # like astype: callers may own and change the result
    kind = arr.dtype.kind
    if kind in "iu":
        _check_label_range(int(arr.min()) if arr.size else 0, int(arr.max()) if arr.size else 0, name)
        return arr.astype(np.int64)
    if kind == "f":
        return _float_labels(arr, name)
    if kind == "O":
        return _object_labels(arr, name)
    what = {"b": "booleans", "c": "complex numbers"}.get(kind, f"of dtype {arr.dtype}")
    raise DataError(f"{name}: labels are {what}; expected integer class indices")


def _check_label_range(lo, hi, name: str) -> None:
    if lo < INT64_MIN or hi > INT64_MAX:
        raise DataError(f"{name}: labels must fit in int64, got values in [{lo}, {hi}]")


def _float_labels(arr: np.ndarray, name: str) -> np.ndarray:
    if not np.isfinite(arr).all():
        raise DataError(f"{name}: labels contain NaN or inf; expected integer class indices")
    fractional = np.flatnonzero(np.mod(arr.reshape(-1), 1) != 0)
    if len(fractional):
        raise DataError(f"{name}: labels must be integers, got {arr.reshape(-1)[fractional[0]].item()!r} "
                        f"({len(fractional)} non-integer values)")
    if arr.size and (arr.min() < -(2.0 ** 63) or arr.max() >= 2.0 ** 63):
        raise DataError(f"{name}: labels must fit in int64, got values in [{arr.min():g}, {arr.max():g}]")
    return arr.astype(np.int64)


def _object_labels(arr: np.ndarray, name: str) -> np.ndarray:
    """Python ints too big for a numpy integer dtype end up here."""
    flat = arr.reshape(-1)
    bad = [v for v in flat if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral)]
    if bad:
        raise DataError(f"{name}: labels must be integers, got {bad[0]!r} ({type(bad[0]).__name__})")
    if flat.size:
        _check_label_range(min(int(v) for v in flat), max(int(v) for v in flat), name)
    return np.array([int(v) for v in flat], dtype=np.int64).reshape(arr.shape)


# Cells that mean "no value" (pandas' own NA spellings): refused as labels, since a class named "nan" is a mistake.
NA_SPELLINGS = frozenset({"#n/a", "#n/a n/a", "#na", "-1.#ind", "-1.#qnan", "-nan", "1.#ind", "1.#qnan", "<na>",
                          "n/a", "na", "nan", "null", "none"})
_INTEGER = re.compile(r"[+-]?\d+")


def parse_label_cells(cells, where: str, unknown: tuple[str, ...] = ("", "-1")) -> tuple[np.ndarray, list[str] | None]:
    """CSV label cells -> (int64 codes, -1 for ``unknown``; class names or None). Cell n is on line n + 2.

    All numbers: class indices, which must be integers >= 0 that fit int64. Otherwise every known cell is a class
    name, numeric-looking names first in numeric order ("2" before "10", so "2" keeps code 2 among 0..11), then
    the rest sorted. An NA spelling ("nan", "None", ...) is an error, not a class: leave the cell empty instead.
    """
    cells = [str(c).strip() for c in cells]
    codes = np.full(len(cells), -1, dtype=np.int64)
    known = [n for n, c in enumerate(cells) if c not in unknown]
    for n in known:
        if cells[n].lower() in NA_SPELLINGS:
            raise DataError(f"{where}: label on line {n + 2} is {cells[n]!r}, not a class; leave the cell empty "
                            "(or -1) for an image without a label")
    numbers = {n: _number(cells[n]) for n in known}
    if all(v is not None for v in numbers.values()):
        for n, v in numbers.items():
            if v < 0 or v != int(v):
                raise DataError(f"{where}: label on line {n + 2} is not a class index ({cells[n]!r})")
            if int(v) > INT64_MAX:
                raise DataError(f"{where}: label on line {n + 2} ({cells[n]}) does not fit in int64; class "
                                "indices must be smaller")
            codes[n] = int(v)
        return codes, None
    names = sorted({cells[n] for n in known}, key=_name_order)
    index = {name: i for i, name in enumerate(names)}
    for n in known:
        codes[n] = index[cells[n]]
    return codes, names


def _number(text: str) -> int | float | None:
    """The cell's number (exact for integers of any size), or None for a word."""
    if _INTEGER.fullmatch(text):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _name_order(name: str) -> tuple:
    value = _number(name)
    return (0, value, name) if value is not None else (1, 0, name)


def first_ids(values, n: int = 5) -> list:
    """The first ``n`` of ``values`` (ids or labels) as plain Python values for a message: ['img_00200', ...], not
    numpy's [np.str_('img_00200'), ...]."""
    out = []
    for v in list(values)[:n]:
        v = v.item() if isinstance(v, np.generic) else v
        out.append(v if isinstance(v, (int, float)) else str(v))
    return out
