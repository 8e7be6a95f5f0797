"""NumPy arrays such as trainX.npy / valX.npy / valY.npy (the classic course-competition layout)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from kit.data.imageset import ImageSet
from kit.data.values import pixels_to_uint8, to_int64_labels
from kit.errors import DataError


def load_npy(x: str, y: str | None = None, ids: str | None = None) -> ImageSet:
    """Images from ``x``, integer labels from ``y`` (-1 = unknown), string ids from ``ids``.

    ``x`` is N,H,W / N,H,W,C / N,C,H,W (C = 1|3); an empty array is an error, not an empty set. Pixel rules:
    - uint8: taken as is.
    - other integers: must lie in [0, 255] and are taken as is (an array of only 0/1 becomes 0/255).
    - floats, decided per image: values within [0, 1] are multiplied by 255; values within [0, 255]
      (max above 1) are taken as is; then rounded. Negative values, values above 255, NaN or inf raise a
      DataError naming the observed range. If some images use [0, 1] and others 0..255, one warning
      gives the counts (each image still uses its own rule, so one outlier no longer darkens the rest).
    - complex, bool and non-numeric arrays raise a DataError.
    Labels must be integers that fit in int64 (integer-valued floats are accepted); anything else is a DataError.
    """
    images = to_uint8_nhwc(_load(x), x)
    labels = None
    if y is not None:
        labels = to_int64_labels(_load(y).reshape(-1), y)
        if len(labels) != len(images):
            raise DataError(f"{y}: {len(labels)} labels for {len(images)} images in {x}")
    id_array = _load(ids).astype(str) if ids is not None else np.array([f"{n:05d}" for n in range(len(images))])
    if len(id_array) != len(images):
        raise DataError(f"{ids}: {len(id_array)} ids for {len(images)} images in {x}")
    try:
        return ImageSet(ids=id_array, images=images, labels=labels)
    except DataError as e:
        raise DataError(f"{x}: {e}") from None


def to_uint8_nhwc(arr: np.ndarray, name: str) -> np.ndarray:
    """N,H,W / N,H,W,C / N,C,H,W (C = 1|3) -> uint8 N,H,W,C by the pixel rules documented in :func:`load_npy`."""
    arr = np.asarray(arr)
    if arr.size == 0:
        raise DataError(f"{name}: no images (array shape {arr.shape})")
    if arr.ndim == 4 and arr.shape[1] in (1, 3) and arr.shape[-1] not in (1, 3):
        arr = arr.transpose(0, 2, 3, 1)
    if arr.ndim == 3:
        arr = arr[..., None]
    if arr.ndim != 4 or arr.shape[-1] not in (1, 3):
        raise DataError(f"{name}: expected images shaped N,H,W or N,H,W,C (C=1|3) or N,C,H,W; got {arr.shape}")
    return pixels_to_uint8(arr, name)


def _load(path: str) -> np.ndarray:
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file")
    try:
        return np.load(p, allow_pickle=False)
    except Exception as e:
        raise DataError(f"{p}: not a readable .npy file ({e})") from None
