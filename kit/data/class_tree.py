"""root/<class>/<image>: one sub-folder per class (ImageFolder layout, e.g. ../shared/data/cifar10/train)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from kit.data.imageset import ImageSet
from kit.data.images import image_files, read_images
from kit.errors import DataError


def load_class_tree(root: str, split: str | list | None = None, limit_per_class: int | None = None,
                    grayscale: bool | None = None, resize=None) -> ImageSet:
    """Class names sorted, label = index; ``limit_per_class`` takes the first N files by name (fast subsets).

    ``split`` a list (e.g. [train, test]) reads each split's tree and puts them together (ids "split/class/name");
    the splits must have the same classes.
    """
    if isinstance(split, (list, tuple)):
        parts = [load_class_tree(root, s, limit_per_class, grayscale, resize) for s in split]
        if any(p.class_names != parts[0].class_names for p in parts):
            raise DataError(f"{root}: splits {list(split)} have different class folders")
        if len({p.images.shape[1:] for p in parts}) > 1:
            raise DataError(f"{root}: splits {list(split)} have different image shapes; set resize")
        return ImageSet(ids=np.concatenate([[f"{s}/{i}" for i in p.ids] for s, p in zip(split, parts)]),
                        images=np.concatenate([p.images for p in parts]),
                        labels=np.concatenate([p.labels for p in parts]), class_names=parts[0].class_names)
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
