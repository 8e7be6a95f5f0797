"""NumPy arrays such as trainX.npy / valX.npy / valY.npy (the classic course-competition layout)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from kit.data.imageset import ImageSet
from kit.errors import DataError


def load_npy(x: str, y: str | None = None, ids: str | None = None) -> ImageSet:
    images = to_uint8_nhwc(_load(x), x)
    labels = None
    if y is not None:
        labels = _load(y).reshape(-1)
        if len(labels) != len(images):
            raise DataError(f"{y}: {len(labels)} labels for {len(images)} images in {x}")
        if not np.issubdtype(labels.dtype, np.integer):
            if not np.all(np.equal(np.mod(labels, 1), 0)):
                raise DataError(f"{y}: labels must be integers")
        labels = labels.astype(np.int64)
    id_array = _load(ids).astype(str) if ids is not None else np.array([f"{n:05d}" for n in range(len(images))])
    if len(id_array) != len(images):
        raise DataError(f"{ids}: {len(id_array)} ids for {len(images)} images in {x}")
    try:
        return ImageSet(ids=id_array, images=images, labels=labels)
    except DataError as e:
        raise DataError(f"{x}: {e}") from None


def to_uint8_nhwc(arr: np.ndarray, name: str) -> np.ndarray:
    """Accept N,H,W / N,H,W,C / N,C,H,W, uint8 or float in [0, 1] (or [0, 255])."""
    if arr.ndim == 4 and arr.shape[1] in (1, 3) and arr.shape[-1] not in (1, 3):
        arr = arr.transpose(0, 2, 3, 1)
    if arr.ndim == 3:
        arr = arr[..., None]
    if arr.ndim != 4 or arr.shape[-1] not in (1, 3):
        raise DataError(f"{name}: expected images shaped N,H,W or N,H,W,C (C=1|3) or N,C,H,W; got {arr.shape}")
    if arr.dtype == np.uint8:
        return arr
    if not np.issubdtype(arr.dtype, np.number):
        raise DataError(f"{name}: image array has non-numeric dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise DataError(f"{name}: image array contains NaN or inf")
    lo, hi = arr.min(), arr.max()
    if lo < 0 or hi > 255:
        raise DataError(f"{name}: pixel values must lie in [0, 1] or [0, 255], got [{lo:g}, {hi:g}]")
    if hi <= 1.0:
        arr = arr * 255.0
    return np.clip(np.rint(arr), 0, 255).astype(np.uint8)


def _load(path: str) -> np.ndarray:
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file")
    try:
        return np.load(p, allow_pickle=False)
    except Exception as e:
        raise DataError(f"{p}: not a readable .npy file ({e})") from None
