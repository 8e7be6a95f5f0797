"""k nearest neighbours through faiss: exact search that stays fast and memory-flat up to a million rows."""
from __future__ import annotations

import numpy as np

from kit.errors import ConfigError


def knn(X: np.ndarray, k: int, *, metric: str = "cosine", batch_size: int = 65536) -> tuple[np.ndarray, np.ndarray]:
    """Indices (N, k) int64 and similarities/distances (N, k) float32 of each row's k nearest other rows.

    ``metric`` "cosine" (inner product of L2-normalised rows, larger is closer) or "l2" (squared distance).
    The row itself is excluded. Uses a GPU index when faiss was built with one and a GPU is present.
    """
    import faiss

    X = np.ascontiguousarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ConfigError(f"knn needs a 2-D feature array, got shape {X.shape}")
    n = len(X)
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ConfigError(f"k must be a positive integer, got {k!r}")
    if k >= n:
        raise ConfigError(f"k={k} neighbours needs more than {k} images, got {n}")
    if metric not in ("cosine", "l2"):
        raise ConfigError(f"metric must be cosine or l2, got {metric!r}")
    if metric == "cosine":
        X = X.copy()
        faiss.normalize_L2(X)
        index = faiss.IndexFlatIP(X.shape[1])
    else:
        index = faiss.IndexFlatL2(X.shape[1])
    if hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0:  # pragma: no cover - GPU only
        index = faiss.index_cpu_to_all_gpus(index)
    index.add(X)
    idx = np.empty((n, k), dtype=np.int64)
    sim = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, batch_size):
        D, I = index.search(X[start:start + batch_size], k + 1)
        rows = np.arange(start, start + len(I))
        # drop the row itself wherever it landed (ties can move it off position 0): stable-sort it to the end
        pos = np.argsort(I == rows[:, None], axis=1, kind="stable")[:, :k]
        idx[start:start + len(I)] = np.take_along_axis(I, pos, 1)
        sim[start:start + len(I)] = np.take_along_axis(D, pos, 1)
    return idx, sim
