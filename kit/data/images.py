"""Decode image files with PIL into uint8 HWC arrays; every failure names the file."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from kit.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def image_files(folder: Path) -> list[Path]:
    """Image files of one folder sorted by name; two files with one stem (a.png, a.jpg) are an error."""
    files = sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    seen: dict[str, Path] = {}
    for p in files:
        if p.stem in seen:
            raise DataError(f"{p}: same name as {seen[p.stem].name}; ids come from file names without suffix")
        seen[p.stem] = p
    return files


def read_image(path: Path, *, grayscale: bool | None = None, resize: tuple[int, int] | None = None) -> np.ndarray:
    """One image as uint8 H,W,C (C = 1 for grayscale files or grayscale=True, else 3)."""
    try:
        with Image.open(path) as im:
            im.load()
            gray = im.mode in ("L", "1", "I;16", "I") if grayscale is None else grayscale
            im = im.convert("L" if gray else "RGB")
            if resize is not None:
                im = im.resize((int(resize[1]), int(resize[0])), Image.BILINEAR)
            arr = np.asarray(im, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise DataError(f"{path}: unreadable or corrupt image ({e})") from None
    return arr[..., None] if arr.ndim == 2 else arr


def read_images(paths: list[Path], *, grayscale: bool | None = None, resize=None, progress: bool = True) -> np.ndarray:
    """Decode many files into one N,H,W,C array; sizes and channels must agree (or be forced)."""
    if not paths:
        raise DataError("no image files found")
    if grayscale is None:  # decide once from the first file so mixed modes end up consistent
        first = read_image(paths[0])
        grayscale = first.shape[-1] == 1
    out = None
    for n, path in enumerate(_progress(paths, progress, "decoding images")):
        arr = read_image(path, grayscale=grayscale, resize=resize)
        if out is None:
            out = np.empty((len(paths), *arr.shape), dtype=np.uint8)
        elif arr.shape != out.shape[1:]:
            raise DataError(
                f"{path}: image is {arr.shape[1]}x{arr.shape[0]}, but {paths[0].name} is {out.shape[2]}x{out.shape[1]}; "
                "pass resize=[H, W] to bring every image to one size"
            )
        out[n] = arr
    return out


def _progress(items, enabled: bool, description: str):
    if not enabled or len(items) < 2000:
        yield from items
        return
    from rich.progress import track

    yield from track(items, description=description, transient=True)
