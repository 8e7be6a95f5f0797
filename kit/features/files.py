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


# Provenance: the digest (kit.data.imageset.ImageSet.digest) of the images an array was computed from. extract
# records it; reduce and cluster copy it from their input (``source=``); `kit submit` compares it with the
# competition's images, so clusters of another competition whose ids coincide are refused.
DIGEST_KEY = "images_digest"


def save_features(path: str | Path, ids, features, *, source: str | Path | None = None,
                  images_digest: str | None = None) -> Path:
    """``images_digest``: the digest of the images the features were computed from; ``source``: the file they
    were computed from (features or embedding), whose digest is copied when ``images_digest`` is not given."""
    ids = np.asarray(ids)
    features = check_matrix(features, f"{path}: 'features'", dtype=None)  # checked before float32 can overflow
    _check_ids(ids, features, path)
    return write_npz(path, ids=ids.astype(str), features=features.astype(np.float32, copy=False),
                     **_provenance(images_digest, source))


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
    values, counts = np.unique(ids.astype(str), return_counts=True)
    if len(values) != len(ids):  # two rows for one image: its cluster would be whichever the writer met last
        raise DataError(f"{path}: id {str(values[counts > 1][0])!r} is on {counts.max()} rows; expected each id once "
                        f"({int((counts > 1).sum())} ids repeated)")


def save_clusters(path: str | Path, ids, clusters, labels=None, probabilities=None, *,
                  source: str | Path | None = None, images_digest: str | None = None) -> Path:
    """``probabilities`` (N, K) class probabilities, when the clusters come from a classifier head.
    ``source`` / ``images_digest``: provenance, as in save_features (``source``: the clustered embedding)."""
    arrays = {"ids": np.asarray(ids).astype(str), "clusters": np.asarray(clusters, dtype=np.int64)}
    if labels is not None:
        arrays["labels"] = np.asarray(labels, dtype=np.int64)
    if probabilities is not None:
        arrays["probabilities"] = np.asarray(probabilities, dtype=np.float32)
    return write_npz(path, **arrays, **_provenance(images_digest, source))


def recorded_digest(arrays: str | Path | dict, where: str = "") -> str | None:
    """The recorded digest of the images a features / embedding / clusters file (or its loaded arrays) was
    computed from; None for a file without one (written by an older kit, or from arrays of unknown origin)."""
    if not isinstance(arrays, dict):
        path = Path(arrays)
        where = where or str(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                value = z[DIGEST_KEY] if DIGEST_KEY in z.files else None
        except FileNotFoundError:
            raise DataError(f"{path}: no such file") from None
        except Exception as e:  # noqa: BLE001  a corrupt file: one line
            raise DataError(f"{path}: unreadable ({e})") from None
    else:
        value = arrays.get(DIGEST_KEY)
    if value is None:
        return None
    value = np.asarray(value)
    if value.ndim != 0 or value.dtype.kind != "U" or not str(value.item()):
        raise DataError(f"{where or 'arrays'}: '{DIGEST_KEY}' must be one digest string, got a {value.dtype} "
                        f"array of shape {value.shape}")
    return str(value.item())


def _provenance(digest: str | None, source: str | Path | None) -> dict[str, np.ndarray]:
    if digest is None and source is not None:
        digest = recorded_digest(source)
    return {} if digest is None else {DIGEST_KEY: np.str_(digest)}


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
