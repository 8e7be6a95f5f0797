"""Read and write id-aligned arrays (features, embeddings, cluster assignments)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from kit.errors import DataError
from kit.io import write_npz


def save_features(path: str | Path, ids, features) -> Path:
    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 2 or len(features) != len(ids):
        raise DataError(f"features must be (N, D) aligned with {len(ids)} ids, got {features.shape}")
    if not np.isfinite(features).all():
        raise DataError(f"{path}: features contain NaN or inf")
    return write_npz(path, ids=np.asarray(ids).astype(str), features=features)


def load_features(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    z = _load(path, ("ids", "features"))
    return z["ids"], z["features"]


def save_clusters(path: str | Path, ids, clusters, labels=None, probabilities=None) -> Path:
    """``probabilities`` (N, K) class probabilities, when the clusters come from a classifier head."""
    arrays = {"ids": np.asarray(ids).astype(str), "clusters": np.asarray(clusters, dtype=np.int64)}
    if labels is not None:
        arrays["labels"] = np.asarray(labels, dtype=np.int64)
    if probabilities is not None:
        arrays["probabilities"] = np.asarray(probabilities, dtype=np.float32)
    return write_npz(path, **arrays)


def load_clusters(path: str | Path) -> dict[str, np.ndarray]:
    return _load(path, ("ids", "clusters"))


def _load(path: str | Path, required: tuple[str, ...]) -> dict[str, np.ndarray]:
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as z:
            out = {k: z[k] for k in z.files}
    except Exception as e:
        raise DataError(f"{path}: unreadable ({e})") from None
    missing = [k for k in required if k not in out]
    if missing:
        raise DataError(f"{path}: missing arrays {missing}")
    return out
