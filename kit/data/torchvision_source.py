"""Any torchvision dataset of PIL images or arrays (MNIST, CIFAR10, SVHN, STL10, ...), as uint8 NHWC."""
from __future__ import annotations

import numpy as np

from kit.data.imageset import ImageSet
from kit.data.npy import to_uint8_nhwc
from kit.data.values import to_int64_labels
from kit.errors import DataError
from kit.paths import cache_dir


def load_torchvision(name: str, train: bool = True, download: bool = False, root: str | None = None) -> ImageSet:
    """``name`` is the class in torchvision.datasets; files live in ``root`` (default <cache>/torchvision)."""
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
    if data is not None:  # in-memory array (numpy or tensor); N,C,H,W layouts are detected by to_uint8_nhwc
        images = np.asarray(data)
        targets = getattr(ds, "targets", None)
        targets = getattr(ds, "labels", None) if targets is None else targets
        labels = None if targets is None else np.asarray(targets)
    else:  # decode item by item (PIL images or tensors)
        if len(ds) == 0:
            raise DataError(f"torchvision {name}: the dataset in {root} has 0 images")
        items = [ds[i] for i in range(len(ds))]
        images = np.stack([np.asarray(img) for img, _ in items])
        labels = np.array([int(t) for _, t in items])
    images = to_uint8_nhwc(images, f"torchvision {name}")
    if labels is not None:
        labels = to_int64_labels(labels.reshape(-1), f"torchvision {name} targets")
    classes = list(getattr(ds, "classes", []) or []) or None
    if classes is not None and labels is not None and len(labels) and labels.max() >= len(classes):
        classes = None
    ids = np.array([f"{n:05d}" for n in range(len(images))])
    return ImageSet(ids=ids, images=images, labels=labels, class_names=classes)
