"""Clustering: a registry of sklearn-style clusterers built from specs, and ``cluster`` to run one.

    cluster(X, {"method": "ekmeans", "n_clusters": 10}, seed=0)
    cluster(X, {"method": "ensemble", "combine": "consensus", "n_clusters": 10,
                "members": [{"method": "kmeans"}, {"method": "kmeans"}, {"method": "gmm"}]})

Methods: kmeans (backend: sklearn | faiss), ekmeans, gmm, spectral, agglomerative, ensemble, argmax (class logits -> class). Unknown methods or keys raise ConfigError.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from kit.cluster.agglomerative import AgglomerativeClusterer
from kit.cluster.argmax import ArgmaxClusterer
from kit.cluster.ekmeans import EquilibriumKMeans
from kit.cluster.ensemble import CoAssociationEnsemble, VotingEnsemble, make_ensemble
from kit.cluster.gmm import GMMClusterer
from kit.cluster.kmeans import KMeansClusterer
from kit.cluster.spectral import SpectralClusterer
from kit.registry import Registry

CLUSTERERS = Registry("cluster")
for _name, _factory in {
    "kmeans": KMeansClusterer,
    "ekmeans": EquilibriumKMeans,
    "gmm": GMMClusterer,
    "spectral": SpectralClusterer,
    "agglomerative": AgglomerativeClusterer,
    "ensemble": make_ensemble,
    "argmax": ArgmaxClusterer,
}.items():
    CLUSTERERS.register(_name)(_factory)


def create_clusterer(spec: dict[str, Any], seed: int | None = None):
    """Estimator for ``spec``; ``seed`` is used when the spec sets no seed/random_state."""
    return CLUSTERERS.create(spec, seed=seed)


def cluster(X, spec: dict[str, Any], seed: int = 0) -> np.ndarray:
    """Cluster ids (int64, N) of every row of X."""
    return np.asarray(create_clusterer(spec, seed=seed).fit_predict(X), dtype=np.int64)


__all__ = ["CLUSTERERS", "create_clusterer", "cluster", "EquilibriumKMeans", "KMeansClusterer", "GMMClusterer",
           "SpectralClusterer", "AgglomerativeClusterer", "VotingEnsemble", "CoAssociationEnsemble", "make_ensemble"]
