"""IDX files (MNIST / Fashion-MNIST), optionally gzip-compressed, parsed with numpy."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from kit.data.imageset import ImageSet
from kit.data.npy import to_uint8_nhwc
from kit.data.values import to_int64_labels
from kit.errors import DataError

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read ({e})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number {data[:4].hex()})")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: truncated IDX header")
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_DTYPES[data[2]])
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(data) - header != expected:
        raise DataError(f"{path}: truncated or padded IDX data ({len(data) - header} bytes, dims {dims} need {expected})")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)


def load_idx(images: str, labels: str | None = None, class_names: list[str] | None = None, prefix: str = "") -> ImageSet:
    """Non-uint8 IDX pixels follow the npy rules (no wrapping cast); labels must be int64-safe integers."""
    x = read_idx(images)
    if x.ndim != 3:
        raise DataError(f"{images}: expected N,H,W images, got dims {x.shape}")
    y = None
    if labels is not None:
        y = to_int64_labels(read_idx(labels), labels)
        if y.shape != (len(x),):
            raise DataError(f"{labels}: {y.shape} labels for {len(x)} images in {images}")
    ids = np.array([f"{prefix}{n:05d}" for n in range(len(x))])
    return ImageSet(ids=ids, images=to_uint8_nhwc(x, images), labels=y, class_names=class_names)
