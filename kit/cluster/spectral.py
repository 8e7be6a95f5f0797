"""Spectral clustering on a kNN graph (sklearn): follows curved manifolds that centroid methods cut through."""
from __future__ import annotations

from sklearn.cluster import SpectralClustering

from kit.cluster.base import SubsampleClusterer
from kit.errors import ConfigError
from kit.registry import choice, require


class SpectralClusterer(SubsampleClusterer):
    """sklearn SpectralClustering(affinity="nearest_neighbors") on <= ``max_fit`` points; the rest by kNN."""

    name = "spectral"

    def __init__(self, n_clusters: int = 10, n_neighbors: int = 10, assign_labels: str = "kmeans",
                 max_fit: int = 10000, n_assign_neighbors: int = 10, random_state: int = 0) -> None:
        self.n_clusters = n_clusters
        self.n_neighbors = n_neighbors
        self.assign_labels = assign_labels
        self.max_fit = max_fit
        self.n_assign_neighbors = n_assign_neighbors
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.n_clusters >= 1, "cluster.spectral.n_clusters", f"must be >= 1, got {self.n_clusters}")
        require(self.n_neighbors >= 2, "cluster.spectral.n_neighbors", f"must be >= 2, got {self.n_neighbors}")
        require(self.max_fit > self.n_clusters, "cluster.spectral.max_fit", f"must be > n_clusters, got {self.max_fit}")
        require(self.n_assign_neighbors >= 1, "cluster.spectral.n_assign_neighbors", "must be >= 1")
        choice(self.assign_labels, ("kmeans", "discretize", "cluster_qr"), "cluster.spectral.assign_labels")

    def _fit_subsample(self, X):
        # the graph Laplacian has N eigenvectors and sparse eigsh can return at most N - 1 of them
        if self.n_clusters >= len(X):
            raise ConfigError(f"cluster.spectral.n_clusters={self.n_clusters} must be less than the number of "
                              f"points ({len(X)})")
        return SpectralClustering(self.n_clusters, affinity="nearest_neighbors",
                                  n_neighbors=min(self.n_neighbors, len(X) - 1), assign_labels=self.assign_labels,
                                  random_state=self.random_state).fit_predict(X)
