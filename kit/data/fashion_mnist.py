"""Fashion-MNIST: Debian's dataset-fashion-mnist files, else a torchvision download, else a clear error."""
from __future__ import annotations

import numpy as np

from kit.data.idx import load_idx
from kit.data.imageset import ImageSet
from kit.errors import DataError
from kit.paths import FASHION_MNIST_DIR, cache_dir

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
_FILES = {"train": "train", "test": "t10k"}


def load_fashion_mnist(split: str = "train", root: str | None = None, download: bool = True) -> ImageSet:
    """split: train (60k), test (10k) or all (70k, train first)."""
    if split not in ("train", "test", "all"):
        raise DataError(f"fashion_mnist: split must be train, test or all, got {split!r}")
    parts = ["train", "test"] if split == "all" else [split]
    sets = [_load_split(p, root, download) for p in parts]
    return ImageSet(
        ids=np.concatenate([s.ids for s in sets]),
        images=np.concatenate([s.images for s in sets]),
        labels=np.concatenate([s.labels for s in sets]),
        class_names=CLASS_NAMES,
    )


def _load_split(split: str, root, download: bool) -> ImageSet:
    base = FASHION_MNIST_DIR if root is None else __import__("pathlib").Path(root)
    stem = _FILES[split]
    images, labels = base / f"{stem}-images-idx3-ubyte.gz", base / f"{stem}-labels-idx1-ubyte.gz"
    if images.exists() and labels.exists():
        return load_idx(str(images), str(labels), CLASS_NAMES, prefix=f"{split}_")
    try:
        from torchvision.datasets import FashionMNIST

        ds = FashionMNIST(str(cache_dir() / "torchvision"), train=split == "train", download=download)
        return ImageSet(ids=np.array([f"{split}_{n:05d}" for n in range(len(ds))]), images=ds.data.numpy(),
                        labels=ds.targets.numpy(), class_names=CLASS_NAMES)
    except Exception as e:
        raise DataError(
            f"Fashion-MNIST not found in {base} and the torchvision download failed ({type(e).__name__}: {e}). "
            "Install it with `apt-get install -y dataset-fashion-mnist` (Debian, as root) or allow network access."
        ) from None
