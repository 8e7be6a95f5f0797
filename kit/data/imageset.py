"""ImageSet: the one representation every ingestion format is converted to.

ids are strings (unique), images are uint8 NHWC (C = 1 or 3), labels are int64 with
-1 meaning "unknown", class_names maps label index -> name.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kit.data.values import to_int64_labels
from kit.errors import DataError
from kit.io import write_npz


@dataclass
class ImageSet:
    ids: np.ndarray
    images: np.ndarray
    labels: np.ndarray | None = None
    class_names: list[str] | None = field(default=None)

    def __post_init__(self) -> None:
        self.ids = np.asarray(self.ids).astype(str)
        images = np.asarray(self.images)
        if images.ndim == 3:  # N,H,W grayscale
            images = images[..., None]
        if images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise DataError(f"images must be N,H,W or N,H,W,C with C in (1, 3); got shape {images.shape}")
        if images.dtype != np.uint8:
            raise DataError(f"images must be uint8, got {images.dtype}")
        self.images = images
        if len(self.ids) != len(images):
            raise DataError(f"{len(self.ids)} ids for {len(images)} images")
        if len(np.unique(self.ids)) != len(self.ids):
            dup = _first_duplicate(self.ids)
            raise DataError(f"duplicate image id {dup!r}")
        if self.labels is not None:
            self.labels = to_int64_labels(self.labels, "labels")
            if self.labels.shape != (len(images),):
                raise DataError(f"{len(self.labels)} labels for {len(images)} images")
        if self.class_names is not None:
            self.class_names = [str(c) for c in self.class_names]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def has_labels(self) -> bool:
        return self.labels is not None and bool((self.labels >= 0).any())

    @property
    def n_classes(self) -> int:
        if self.class_names is not None:
            return len(self.class_names)
        return int(self.labels.max()) + 1 if self.has_labels else 0

    def subset(self, index) -> "ImageSet":
        index = np.asarray(index)
        return ImageSet(
            ids=self.ids[index],
            images=self.images[index],
            labels=None if self.labels is None else self.labels[index],
            class_names=self.class_names,
        )

    def without_labels(self) -> "ImageSet":
        return ImageSet(ids=self.ids, images=self.images, labels=None, class_names=None)

    def digest(self) -> str:
        """A fingerprint of the pixels and their ids (sha256, hex), the same whatever the images' order and however
        the file was written: features, embeddings and clusters record the digest of the images they were computed
        from, so a submission can tell clusters of another competition whose ids happen to coincide."""
        order = np.argsort(self.ids, kind="stable")
        h = hashlib.sha256(f"kit-images-v1 {self.images.dtype.str} {self.images.shape[1:]}\n".encode())
        h.update("\0".join(self.ids[order].tolist()).encode())
        step = max(1, (64 << 20) // max(1, self.images[0].nbytes if len(self.images) else 1))  # ~64 MB at a time
        for start in range(0, len(order), step):
            h.update(np.ascontiguousarray(self.images[order[start:start + step]]).tobytes())
        self.__dict__["_digest"] = (self.ids, self.images, h.hexdigest())
        return self.__dict__["_digest"][2]

    def save(self, path: str | Path) -> Path:
        arrays = {"ids": self.ids, "images": self.images}
        if self.labels is not None:
            arrays["labels"] = self.labels
        if self.class_names is not None:
            arrays["class_names"] = np.asarray(self.class_names, dtype=str)
        return write_npz(path, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> "ImageSet":
        path = Path(path)
        if not path.exists():
            raise DataError(f"{path}: no such file")
        try:
            with np.load(path, allow_pickle=False) as z:
                return cls(
                    ids=z["ids"],
                    images=z["images"],
                    labels=z["labels"] if "labels" in z else None,
                    class_names=list(z["class_names"]) if "class_names" in z else None,
                )
        except DataError as e:
            raise DataError(f"{path}: {e}") from None
        except Exception as e:  # zipfile/ValueError/KeyError on corrupt files
            raise DataError(f"{path}: not a readable kit image set ({e})") from None


def _first_duplicate(ids: np.ndarray) -> str:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            return str(i)
        seen.add(i)
    return ""
