"""scikit-learn's 8x8 digits: always available offline, the fast test set."""
from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits as _sk_load_digits

from kit.data.imageset import ImageSet


def load_digits() -> ImageSet:
    d = _sk_load_digits()
    images = np.rint(d.images * (255.0 / 16.0)).astype(np.uint8)
    return ImageSet(ids=np.array([f"{n:04d}" for n in range(len(images))]), images=images,
                    labels=d.target, class_names=[str(c) for c in d.target_names])
