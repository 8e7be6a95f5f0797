"""Clustering: a registry of sklearn-style clusterers built from specs, and ``cluster`` to run one.

    cluster(X, {"method": "ekmeans", "n_clusters": 10}, seed=0)
    cluster(X, {"method": "ensemble", "combine": "consensus", "n_clusters": 10,
                "members": [{"method": "kmeans"}, {"method": "kmeans"}, {"method": "gmm"}]})

Methods: kmeans (backend: sklearn | faiss), ekmeans, gmm, spectral, agglomerative, ensemble, argmax (class logits -> class),
scan (SCAN heads on fixed features), and with labeled images label_spreading and logreg. Unknown methods or keys
raise ConfigError.
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
from kit.cluster.scan import SCANClusterer
from kit.cluster.semi import LabelSpreadingClusterer, LogRegClusterer
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
    "scan": SCANClusterer,
    "label_spreading": LabelSpreadingClusterer,
    "logreg": LogRegClusterer,
}.items():
    CLUSTERERS.register(_name)(_factory)


def create_clusterer(spec: dict[str, Any], seed: int | None = None):
    """Estimator for ``spec``; ``seed`` is used when the spec sets no seed/random_state."""
    return CLUSTERERS.create(spec, seed=seed)


def cluster(X, spec: dict[str, Any], seed: int = 0, y=None) -> np.ndarray:
    """Cluster ids (int64, N) of every row of X. ``y``: class of each row, -1 where unknown (methods that learn
    from labels use it; the others ignore it)."""
    return np.asarray(fit_clusterer(X, spec, seed, y).labels_, dtype=np.int64)


def fit_clusterer(X, spec: dict[str, Any], seed: int = 0, y=None):
    """The fitted estimator: ``labels_``, and where the method has them ``probabilities_`` and
    ``labels_are_classes_`` (its labels are class indices, not cluster ids)."""
    est = create_clusterer(spec, seed=seed)
    if y is None:
        return est.fit(X)
    return est.fit(X, y)


__all__ = ["CLUSTERERS", "create_clusterer", "cluster", "fit_clusterer", "EquilibriumKMeans", "KMeansClusterer", "GMMClusterer",
           "SpectralClusterer", "AgglomerativeClusterer", "VotingEnsemble", "CoAssociationEnsemble", "make_ensemble"]
