"""Seeded subsampling and chunked transforms: how the O(N^2) methods scale to 70k points."""
from __future__ import annotations

from typing import Callable

import numpy as np


def subsample_index(n: int, max_n: int | None, random_state: int | None) -> np.ndarray:
    """Sorted indices of at most ``max_n`` of ``n`` points (all of them when n <= max_n)."""
    if max_n is None or n <= max_n:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=max_n, replace=False))


def chunked(fn: Callable[[np.ndarray], np.ndarray], X: np.ndarray, chunk_size: int = 4096) -> np.ndarray:
    """Apply ``fn`` to row blocks so kernels between N new points and the fit set never exceed chunk x fit."""
    if len(X) <= chunk_size:
        return fn(X)
    return np.concatenate([fn(X[i:i + chunk_size]) for i in range(0, len(X), chunk_size)])
