"""Ward agglomerative clustering (sklearn): a deterministic hierarchy, no initialisation to get unlucky with."""
from __future__ import annotations

from sklearn.cluster import AgglomerativeClustering

from kit.cluster.base import SubsampleClusterer
from kit.registry import choice, require


class AgglomerativeClusterer(SubsampleClusterer):
    """sklearn AgglomerativeClustering on <= ``max_fit`` points (Ward's merges cost O(N^2) memory); the rest by kNN.
    ``random_state`` only picks the subsample."""

    name = "agglomerative"

    def __init__(self, n_clusters: int = 10, linkage: str = "ward", max_fit: int = 5000, n_assign_neighbors: int = 10,
                 random_state: int = 0) -> None:
        self.n_clusters = n_clusters
        self.linkage = linkage
        self.max_fit = max_fit
        self.n_assign_neighbors = n_assign_neighbors
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.n_clusters >= 1, "cluster.agglomerative.n_clusters", f"must be >= 1, got {self.n_clusters}")
        require(self.max_fit >= self.n_clusters, "cluster.agglomerative.max_fit", f"must be >= n_clusters, got {self.max_fit}")
        require(self.n_assign_neighbors >= 1, "cluster.agglomerative.n_assign_neighbors", "must be >= 1")
        choice(self.linkage, ("ward", "complete", "average", "single"), "cluster.agglomerative.linkage")

    def _fit_subsample(self, X):
        return AgglomerativeClustering(self.n_clusters, linkage=self.linkage).fit_predict(X)
