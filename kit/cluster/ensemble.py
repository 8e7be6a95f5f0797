"""Cluster ensembles: combine several partitions (different methods / seeds) into one, more stable partition.

- ``vote``: relabel each member to a reference partition by Hungarian matching, then majority vote per point.
- ``consensus``: co-association consensus without the N x N matrix. Stack every member's one-hot membership into
  a sparse H (N x sum_m k_m, exactly M ones per row). The co-association matrix is A = H H^T / M, and
  ||h_i - h_j||^2 = 2M (1 - A_ij), so the K-Means objective on the rows of H is
  sum_c (M / |c|) sum_{i,j in c} (1 - A_ij): K-Means on H *is* the co-association consensus clustering,
  in O(N sum k_m) memory instead of O(N^2) (70k points: a few MB instead of 39 GB).
"""
from __future__ import annotations


import numpy as np
from scipy import sparse
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.metrics import normalized_mutual_info_score, pairwise_distances_argmin

from kit.cluster.base import Clusterer
from kit.errors import ConfigError, DataError
from kit.metrics import hungarian_mapping
from kit.registry import choice, require
from kit.train.options import SEED_MAX


def _check_partitions(partitions) -> list[np.ndarray]:
    parts = [np.asarray(p).ravel() for p in partitions]
    if not parts:
        raise DataError("cluster.ensemble: no member partitions to combine")
    n = len(parts[0])
    if any(len(p) != n for p in parts):
        raise DataError(f"cluster.ensemble: member partitions have different lengths {[len(p) for p in parts]}")
    return parts


def pick_reference(partitions, reference: str | int = "first") -> int:
    """Index of the reference partition: 0 ("first"), the one with the highest mean NMI to the others ("best"),
    or an explicit index."""
    parts = _check_partitions(partitions)
    if isinstance(reference, (int, np.integer)) and not isinstance(reference, bool):
        if not 0 <= reference < len(parts):
            raise ConfigError(f"cluster.ensemble.reference: index {reference} out of range for {len(parts)} members")
        return int(reference)
    choice(reference, ("first", "best"), "cluster.ensemble.reference")
    if reference == "first" or len(parts) < 3:
        return 0
    nmi = np.zeros((len(parts), len(parts)))
    for i in range(len(parts)):
        for j in range(i + 1, len(parts)):
            nmi[i, j] = nmi[j, i] = normalized_mutual_info_score(parts[i], parts[j])
    return int((nmi.sum(1) / (len(parts) - 1)).argmax())


def align(partition: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Rename ``partition``'s cluster ids to the matching ``reference`` ids (Hungarian, max agreement);
    clusters left unmatched (more clusters than the reference has) become -1."""
    mapping = hungarian_mapping(reference, partition)
    values, inverse = np.unique(partition, return_inverse=True)
    lookup = np.array([mapping.get(v.item(), -1) for v in values], dtype=np.int64)
    return lookup[inverse]


def vote(partitions, reference: str | int = "first") -> np.ndarray:
    """Majority vote after aligning every member to the reference; ties go to the reference's label."""
    parts = _check_partitions(partitions)
    ref_i = pick_reference(parts, reference)
    _, ref = np.unique(parts[ref_i], return_inverse=True)  # ids 0..k-1
    k = int(ref.max()) + 1
    votes = np.zeros((len(ref), k))
    rows = np.arange(len(ref))
    for i, p in enumerate(parts):
        aligned = ref if i == ref_i else align(p, ref)
        ok = aligned >= 0
        np.add.at(votes, (rows[ok], aligned[ok]), 1.0)
    votes[rows, ref] += 0.5  # tie-breaker
    return votes.argmax(1).astype(np.int64)


def membership_matrix(partitions) -> sparse.csr_matrix:
    """Sparse one-hot H (N x sum_m k_m): H[n, offset_m + c] = 1 when member m puts point n in its cluster c."""
    parts = _check_partitions(partitions)
    n, cols, offset = len(parts[0]), [], 0
    for p in parts:
        _, inv = np.unique(p, return_inverse=True)
        cols.append(inv + offset)
        offset += int(inv.max()) + 1
    indices = np.stack(cols, 1).ravel()
    indptr = np.arange(0, n * len(parts) + 1, len(parts))
    return sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n, offset))


def consensus(partitions, n_clusters: int, n_init: int = 10, svd_components: int | None = None,
              random_state: int = 0) -> np.ndarray:
    """Co-association consensus = K-Means on the membership matrix H (see module docstring); optionally on a
    truncated SVD of H (denoises many members, same objective up to the dropped spectrum)."""
    H = membership_matrix(partitions)
    Z = H
    if svd_components is not None and svd_components < H.shape[1]:
        Z = TruncatedSVD(svd_components, random_state=random_state).fit_transform(H)
    km = KMeans(n_clusters, n_init=n_init, random_state=random_state).fit(Z)
    return km.labels_.astype(np.int64)


class _Ensemble(Clusterer):
    """Fits each member spec on X (a member without n_clusters gets the ensemble's, one without a seed gets
    random_state + its index, so repeated methods differ), then combines their partitions.
    ``predict`` assigns new points to the nearest mean of the combined clusters."""

    def _member_estimators(self) -> list:
        from kit.cluster import create_clusterer

        require(isinstance(self.members, (list, tuple)) and len(self.members) > 0, "cluster.ensemble.members",
                f"must be a non-empty list of clusterer specs, got {self.members!r}")
        out = []
        for i, spec in enumerate(self.members):
            if not isinstance(spec, dict):
                raise ConfigError(f"cluster.ensemble.members[{i}] must be a mapping with a 'method', got {spec!r}")
            spec = {"n_clusters": self.n_clusters, **spec}
            if spec.get("seed") is None and spec.get("random_state") is None:
                spec.pop("seed", None)
                spec["random_state"] = (int(self.random_state) + i) % (SEED_MAX + 1)  # stays a valid seed
            try:
                out.append(create_clusterer(spec))
            except ConfigError as e:
                raise ConfigError(f"cluster.ensemble.members[{i}]: {e}") from None
        return out

    def fit(self, X, y=None):
        self._check_params()
        X = self._data(X)
        self.n_features_ = X.shape[1]
        self.member_labels_ = [np.asarray(m.fit_predict(X), dtype=np.int64) for m in self._member_estimators()]
        self.labels_ = self._combine(self.member_labels_)
        ids = np.unique(self.labels_)
        self.cluster_centers_ = np.stack([X[self.labels_ == c].mean(0) for c in ids])
        self._center_ids = ids
        return self

    def predict(self, X) -> np.ndarray:
        return self._center_ids[pairwise_distances_argmin(self._new_data(X), self.cluster_centers_)]


class VotingEnsemble(_Ensemble):
    """Majority vote of Hungarian-aligned members; the result has the reference member's number of clusters
    (``n_clusters`` is what members get when their spec sets none)."""

    name = "ensemble"

    def __init__(self, members: list | None = None, n_clusters: int = 10, reference: str = "first",
                 random_state: int = 0) -> None:
        self.members = members
        self.n_clusters = n_clusters
        self.reference = reference
        self.random_state = random_state

    def _check_params(self) -> None:
        choice(self.reference, ("first", "best"), "cluster.ensemble.reference")
        self._member_estimators()

    def _combine(self, partitions):
        return vote(partitions, self.reference)


class CoAssociationEnsemble(_Ensemble):
    """Co-association consensus via K-Means on the sparse membership matrix (see module docstring)."""

    name = "ensemble"

    def __init__(self, members: list | None = None, n_clusters: int = 10, n_init: int = 10,
                 svd_components: int | None = None, random_state: int = 0) -> None:
        self.members = members
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.svd_components = svd_components
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.n_clusters >= 1, "cluster.ensemble.n_clusters", f"must be >= 1, got {self.n_clusters}")
        require(self.n_init >= 1, "cluster.ensemble.n_init", f"must be >= 1, got {self.n_init}")
        self._member_estimators()

    def _combine(self, partitions):
        return consensus(partitions, self.n_clusters, n_init=self.n_init, svd_components=self.svd_components,
                         random_state=self.random_state)


def make_ensemble(members: list | None = None, n_clusters: int = 10, combine: str = "vote", reference: str = "first",
                  n_init: int = 10, svd_components: int | None = None, random_state: int = 0) -> _Ensemble:
    """The ``{"method": "ensemble", "combine": "vote"|"consensus", "members": [...]}`` spec."""
    choice(combine, ("vote", "consensus"), "cluster.ensemble.combine")
    if combine == "vote":
        return VotingEnsemble(members, n_clusters, reference=reference, random_state=random_state)
    return CoAssociationEnsemble(members, n_clusters, n_init=n_init, svd_components=svd_components,
                                 random_state=random_state)
