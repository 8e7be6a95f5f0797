"""Any torchvision dataset of PIL images or arrays (MNIST, CIFAR10, SVHN, STL10, ...)."""
from __future__ import annotations

import numpy as np

from kit.data.imageset import ImageSet
from kit.errors import DataError
from kit.paths import cache_dir


def load_torchvision(name: str, train: bool = True, download: bool = False, root: str | None = None) -> ImageSet:
    import torchvision.datasets as tvd

    cls = getattr(tvd, name, None)
    if cls is None or not isinstance(cls, type):
        raise DataError(f"torchvision has no dataset {name!r}")
    root = root or str(cache_dir() / "torchvision")
    try:
        try:
            ds = cls(root, train=train, download=download)
        except TypeError:  # datasets with split= instead of train= (SVHN, STL10)
            ds = cls(root, split="train" if train else "test", download=download)
    except Exception as e:
        raise DataError(f"torchvision {name}: could not load from {root} ({e}); pass download=true to fetch it") from None
    data = getattr(ds, "data", None)
    if data is not None:
        images = np.asarray(data)
        if images.ndim == 4 and images.shape[1] in (1, 3) and images.shape[-1] not in (1, 3):
            images = images.transpose(0, 2, 3, 1)  # SVHN/STL10 store N,C,H,W
        labels = np.asarray(getattr(ds, "targets", getattr(ds, "labels", None)))
    else:
        pairs = [ds[i] for i in range(len(ds))]
        images = np.stack([np.asarray(img) for img, _ in pairs])
        labels = np.array([t for _, t in pairs])
    classes = list(getattr(ds, "classes", []) or []) or None
    ids = np.array([f"{n:05d}" for n in range(len(images))])
    return ImageSet(ids=ids, images=images.astype(np.uint8), labels=labels, class_names=classes)
