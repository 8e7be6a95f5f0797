"""Dimensionality reduction: a registry of sklearn-style reducers and ``reduce`` to chain them.

    reduce(X, [{"method": "pca", "n_components": 50}, {"method": "tsne", "n_components": 2}], seed=0)

Methods: standardize, l2norm, pca, kernel_pca, tsne, umap, spectral, lle. Unknown methods or keys raise ConfigError.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from kit.reduce.kernel_pca import KernelPCAReducer
from kit.reduce.lle import LLEReducer
from kit.reduce.pca import PCAReducer
from kit.registry import Registry
from kit.reduce.scaling import L2Normalize, Standardize
from kit.reduce.spectral import SpectralReducer
from kit.reduce.tsne import TSNEReducer
from kit.reduce.umap import UMAPReducer
from kit.errors import ConfigError, DataError

REDUCERS = Registry("reduce")
for _name, _cls in {
    "standardize": Standardize,
    "l2norm": L2Normalize,
    "pca": PCAReducer,
    "kernel_pca": KernelPCAReducer,
    "tsne": TSNEReducer,
    "umap": UMAPReducer,
    "spectral": SpectralReducer,
    "lle": LLEReducer,
}.items():
    REDUCERS.register(_name)(_cls)


def create_reducer(spec: dict[str, Any], seed: int | None = None):
    """Estimator for one step spec; ``seed`` is used when the spec sets no seed/random_state."""
    return REDUCERS.create(spec, seed=seed)


def check_shapes(steps: list[dict[str, Any]], n: int | None, d: int, seed: int | None = None) -> int:
    """The width the chain ``steps`` gives an input of ``n`` rows (None: not known) and ``d`` features, each step
    checked against its input's sizes (PCA's n_components <= min(N, D), ...) before anything is fitted: a
    ConfigError/DataError otherwise. kit run checks this at load when D is known, kit reduce before reading the
    features, the reduce stage before its folder is made."""
    if not isinstance(steps, (list, tuple)):
        raise ConfigError(f"reduce: steps must be a list of specs, got {type(steps).__name__}")
    for i, spec in enumerate(steps):
        try:
            d_out = create_reducer(spec, seed=seed).output_dim(n, d)
        except (ConfigError, DataError) as e:
            if i == 0:
                raise
            # a later step's input is the previous step's output, not the features: say so, or "10 features" puzzles
            raise type(e)(f"step {i + 1} of the chain: {e}; its input is step {i}'s output ({d} columns from "
                          f"{steps[i - 1].get('method')}), not the features") from None
        d = d_out
    return d


def reduce(X, steps: list[dict[str, Any]], seed: int = 0,
           on_step: Callable[[int, dict[str, Any]], None] | None = None) -> np.ndarray:
    """Apply ``steps`` in order (each fit_transform on the previous output). Steps are all built, and their sizes
    checked against X's, first, so a bad spec in the last step fails before the first one runs. ``on_step(i, spec)``
    is called before step i."""
    if not isinstance(steps, (list, tuple)):
        raise ConfigError(f"reduce: steps must be a list of specs, got {type(steps).__name__}")
    Z = np.asarray(X, dtype=np.float64)
    if Z.ndim == 2:  # anything else is the first step's input error
        check_shapes(steps, Z.shape[0], Z.shape[1], seed=seed)
    reducers = [create_reducer(spec, seed=seed) for spec in steps]
    for i, (spec, reducer) in enumerate(zip(steps, reducers)):
        if on_step is not None:
            on_step(i, spec)
        Z = reducer.fit_transform(Z)
    return np.asarray(Z, dtype=np.float32)


__all__ = ["REDUCERS", "create_reducer", "check_shapes", "reduce", "PCAReducer", "KernelPCAReducer", "TSNEReducer",
           "UMAPReducer", "SpectralReducer", "LLEReducer", "Standardize", "L2Normalize"]
