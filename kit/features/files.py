"""Read and write id-aligned arrays (features, embeddings, cluster assignments)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from kit.errors import DataError
from kit.io import write_npz

# Largest |value| accepted in features. Squared distances of D-dim rows bounded by M reach 4 * D * M^2, which stays
# below float32's 3.4e38 for M = 1e15 up to D = 85 million; t-SNE (float32 distances) segfaults from about 1e18,
# and float32 kernels (faiss, openTSNE) overflow to inf. Larger values mean unscaled data: kit refuses them.
MAX_ABS = 1e15


def check_matrix(X, where: str, dtype=np.float64) -> np.ndarray:
    """The one input check of features, embeddings and every reducer's / clusterer's input: a numeric, non-empty
    (N, D) array of finite values with |x| <= MAX_ABS. ``where`` starts each message ("cluster.gmm: input").
    ``dtype`` None keeps the array's own numeric dtype. Min/max only: no temporary the size of X."""
    try:
        X = np.asarray(X, dtype=dtype)
    except (TypeError, ValueError):
        X = None
    if X is None or X.dtype.kind not in "biuf":
        raise DataError(f"{where} must be a numeric (N, D) array") from None
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(f"{where} must be a non-empty (N, D) array, got shape {X.shape}")
    lo, hi = float(X.min()), float(X.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise DataError(f"{where} contains NaN or inf")
    peak = max(-lo, hi)
    if peak > MAX_ABS:
        raise DataError(f"{where} holds |x| up to {peak:.3g}, above {MAX_ABS:.0e}: squared distances would overflow "
                        f"float32; scale the features down first (e.g. divide them by {peak:.3g})")
    return X


def save_features(path: str | Path, ids, features) -> Path:
    ids = np.asarray(ids)
    features = check_matrix(features, f"{path}: 'features'", dtype=None)  # checked before float32 can overflow
    _check_ids(ids, features, path)
    return write_npz(path, ids=ids.astype(str), features=features.astype(np.float32, copy=False))


def load_features(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(ids, features) of a features/embedding file, checked: (N, D) finite numbers, N ids (every stage and command
    reads through here, so a file one refuses the others refuse too)."""
    z = _load(path, ("ids", "features"))
    features = check_matrix(z["features"], f"{path}: 'features'", dtype=None)
    _check_ids(z["ids"], features, path)
    return z["ids"], features


def _check_ids(ids: np.ndarray, features: np.ndarray, path) -> None:
    if ids.ndim != 1:
        raise DataError(f"{path}: 'ids' must be a 1-D array, got shape {ids.shape}")
    if len(ids) != len(features):
        raise DataError(f"{path}: {len(ids)} ids for {len(features)} feature rows; expected one id per row")


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
