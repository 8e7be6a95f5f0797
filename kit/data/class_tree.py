"""root/<class>/<image>: one sub-folder per class (ImageFolder layout, e.g. ../shared/data/cifar10/train)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from kit.data.imageset import ImageSet
from kit.data.images import image_files, read_images
from kit.errors import DataError


def load_class_tree(root: str, split: str | None = None, limit_per_class: int | None = None,
                    grayscale: bool | None = None, resize=None) -> ImageSet:
    """Class names sorted, label = index; ``limit_per_class`` takes the first N files by name (fast subsets)."""
    base = Path(root) / split if split else Path(root)
    if not base.is_dir():
        raise DataError(f"{base}: no such folder")
    classes = sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DataError(f"{base}: no class sub-folders")
    paths, labels = [], []
    for label, name in enumerate(classes):
        files = image_files(base / name)
        if limit_per_class:
            files = files[: int(limit_per_class)]
        if not files:
            raise DataError(f"{base / name}: class folder has no images")
        paths += files
        labels += [label] * len(files)
    images = read_images(paths, grayscale=grayscale, resize=resize)
    ids = [f"{p.parent.name}/{p.stem}" for p in paths]
    return ImageSet(ids=np.array(ids), images=images, labels=np.array(labels), class_names=classes)
