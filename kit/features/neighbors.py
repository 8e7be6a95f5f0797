"""k nearest neighbours through faiss (CPU): exact search up to EXACT_UP_TO rows, an inverted-file index above."""
from __future__ import annotations

import numpy as np

from kit.errors import ConfigError


EXACT_UP_TO = 100_000  # exact search costs N^2 (timings in bench/scale.md): above it an IVF index


def knn(X: np.ndarray, k: int, *, metric: str = "cosine", batch_size: int = 65536, exact: bool | None = None,
        seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (N, k) int64 and similarities/distances (N, k) float32 of each row's k nearest other rows.

    ``metric`` "cosine" (inner product of L2-normalised rows, larger is closer) or "l2" (squared distance).
    The row itself is excluded. ``exact`` None: exact (flat) search up to EXACT_UP_TO rows, else IVF
    (min(N, 4*sqrt(N)) lists, 32 probed; approximate, a few % of true neighbours swapped for near ones). A row
    whose probed lists hold fewer than k + 1 rows (IVF would pad its answer with id -1) is searched exactly
    instead, so every index returned is a real row. CPU only: the same neighbours on every machine.
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
    kind = faiss.METRIC_INNER_PRODUCT if metric == "cosine" else faiss.METRIC_L2

    def flat_index():
        return faiss.IndexFlatIP(X.shape[1]) if metric == "cosine" else faiss.IndexFlatL2(X.shape[1])

    exact_index = None
    if (n <= EXACT_UP_TO) if exact is None else exact:
        index = exact_index = flat_index()
    else:
        nlist = max(1, min(n, int(4 * np.sqrt(n))))
        index = faiss.IndexIVFFlat(flat_index(), X.shape[1], nlist, kind)
        sample = np.random.default_rng(seed).choice(n, min(n, 64 * nlist), replace=False)
        index.train(X[np.sort(sample)])
        index.nprobe = min(32, nlist)
    index.add(X)
    idx = np.empty((n, k), dtype=np.int64)
    sim = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, batch_size):
        Q = X[start:start + batch_size]
        D, I = index.search(Q, k + 1)
        short = (I < 0).any(1)  # IVF only: the probed lists held fewer than k + 1 rows
        if short.any():
            if exact_index is None:
                exact_index = flat_index()
                exact_index.add(X)
            D[short], I[short] = exact_index.search(Q[short], k + 1)
        rows = np.arange(start, start + len(I))
        # drop the row itself wherever it landed (ties can move it off position 0): stable-sort it to the end
        pos = np.argsort(I == rows[:, None], axis=1, kind="stable")[:, :k]
        idx[start:start + len(I)] = np.take_along_axis(I, pos, 1)
        sim[start:start + len(I)] = np.take_along_axis(D, pos, 1)
    return idx, sim
