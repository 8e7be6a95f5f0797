"""Decode image files with PIL into uint8 HWC arrays; every failure names the file."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from kit.data.values import float_pixels_to_uint8, uint16_to_uint8
from kit.errors import DataError

GREY_MODES = ("1", "L", "LA", "La")
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
    """One image as uint8 H,W,C: C = 1 for grey content, 3 for colour, unless ``grayscale`` forces one."""
    try:
        with Image.open(path) as im:
            im.load()
            im = to_8bit(im, path)
            if grayscale is not None:
                im = im.convert("L" if grayscale else "RGB")
            if resize is not None:
                im = im.resize((int(resize[1]), int(resize[0])), Image.BILINEAR)
            arr = np.asarray(im, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise DataError(f"{path}: unreadable or corrupt image ({e})") from None
    return arr[..., None] if arr.ndim == 2 else arr


def to_8bit(im: Image.Image, path) -> Image.Image:
    """Any PIL mode -> "L" or "RGB" without clipping: PIL's own convert clips 16-bit grey at 255.

    16/32-bit integer grey (I;16*, I) is scaled by the 16-bit range, float grey (F) by the float rule of
    kit.data.values, palette images are grey only when every used colour is grey, other colour modes are RGB.
    """
    if im.mode.startswith("I"):
        return Image.fromarray(uint16_to_uint8(np.asarray(im), str(path)))
    if im.mode == "F":
        return Image.fromarray(float_pixels_to_uint8(np.asarray(im)[None], str(path))[0])
    if im.mode in GREY_MODES:
        return im.convert("L")
    if im.mode in ("P", "PA"):
        rgb = im.convert("RGB")
        arr = np.asarray(rgb)
        is_grey = (arr[..., 0] == arr[..., 1]).all() and (arr[..., 1] == arr[..., 2]).all()
        return Image.fromarray(np.ascontiguousarray(arr[..., 0])) if is_grey else rgb
    return im.convert("RGB")


def read_images(paths: list[Path], *, grayscale: bool | None = None, resize=None, progress: bool = True) -> np.ndarray:
    """Decode many files into one N,H,W,C array; sizes must agree (or be forced by ``resize``).

    Channels: if any image is colour, all become RGB (grey ones repeated into 3 channels, values unchanged);
    if all are grey, 1 channel. ``grayscale=True/False`` forces 1/3 channels.
    """
    if not paths:
        raise DataError("no image files found")
    out = None
    for n, path in enumerate(_progress(paths, progress, "decoding images")):
        arr = read_image(path, grayscale=grayscale, resize=resize)
        if out is None:
            out = np.empty((len(paths), *arr.shape), dtype=np.uint8)
        elif arr.shape[:2] != out.shape[1:3]:
            raise DataError(
                f"{path}: image is {arr.shape[1]}x{arr.shape[0]}, but {paths[0].name} is {out.shape[2]}x{out.shape[1]}; "
                "pass resize=[H, W] to bring every image to one size"
            )
        elif arr.shape[-1] == 1 and out.shape[-1] == 3:
            arr = np.repeat(arr, 3, axis=-1)
        elif arr.shape[-1] == 3 and out.shape[-1] == 1:
            out = np.repeat(out, 3, axis=-1)  # first colour image: the grey ones decoded so far become RGB
        out[n] = arr
    return out


def _progress(items, enabled: bool, description: str):
    if not enabled or len(items) < 2000:
        yield from items
        return
    from rich.progress import track

    yield from track(items, description=description, transient=True)
