"""Equilibrium K-Means (EKM): K-Means with soft, Boltzmann-weighted centroid updates.

Hard K-Means lets big clusters pull centroids of small neighbours towards them ("uniform effect"). EKM minimises
the sum over points of a smooth minimum of the squared distances,

    J_n = sum_k p_kn d_kn,   p_kn = softmax(-alpha d_n)_k,   d_kn = ||x_n - c_k||^2,

and its stationarity condition gives a weighted-mean update with weights (which can be negative: points far from
a centroid push it away, a repulsion that keeps centroids of imbalanced clusters apart)

    w_kn = p_kn (1 - alpha (d_kn - J_n)),   c_k = sum_n w_kn x_n / sum_n w_kn.

alpha -> inf is hard K-Means (Lloyd); alpha -> 0 pulls every centroid to the data mean.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import kmeans_plusplus

from kit.errors import DataError
from kit.registry import require

CHUNK = 8192  # rows per block: the N x K distance/weight arrays never exceed CHUNK x K


class EquilibriumKMeans(ClusterMixin, BaseEstimator):
    """Sklearn-style EKM. ``alpha=None`` uses 2 / mean squared distance of the points to the data mean, so the
    softmax temperature follows the data's scale; ``alpha_scale`` multiplies it (the course's x0.1 / x1 / x10
    comparison, without knowing the data's scale). ``init`` is "k-means++" or a (n_clusters, D) array.

    Attributes: cluster_centers_, labels_ (argmin distance), n_iter_, alpha_, objective_ (sum_n J_n of the best
    run), cluster_weights_ (sum_n w_kn per centroid at the last update).
    """

    def __init__(self, n_clusters: int = 10, alpha: float | None = None, max_iter: int = 300, tol: float = 1e-4,
                 n_init: int = 1, init="k-means++", random_state: int = 0, alpha_scale: float = 1.0) -> None:
        self.n_clusters = n_clusters
        self.alpha = alpha
        self.alpha_scale = alpha_scale
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.init = init
        self.random_state = random_state

    def _check_params(self) -> None:
        require(self.n_clusters >= 1, "cluster.ekmeans.n_clusters", f"must be >= 1, got {self.n_clusters}")
        require(self.alpha is None or self.alpha > 0, "cluster.ekmeans.alpha", f"must be > 0, got {self.alpha}")
        require(self.alpha_scale > 0, "cluster.ekmeans.alpha_scale", f"must be > 0, got {self.alpha_scale}")
        require(self.max_iter >= 1, "cluster.ekmeans.max_iter", f"must be >= 1, got {self.max_iter}")
        require(self.tol >= 0, "cluster.ekmeans.tol", f"must be >= 0, got {self.tol}")
        require(self.n_init >= 1, "cluster.ekmeans.n_init", f"must be >= 1, got {self.n_init}")
        require(isinstance(self.init, np.ndarray) or self.init == "k-means++", "cluster.ekmeans.init",
                f"must be 'k-means++' or an array of centroids, got {self.init!r}")

    def fit(self, X, y=None):
        self._check_params()
        X = _as_data(X, "ekmeans")
        if len(X) < self.n_clusters:
            raise DataError(f"cluster.ekmeans: {len(X)} points for {self.n_clusters} clusters")
        sq_to_mean = ((X - X.mean(0)) ** 2).sum(1).mean()
        self.alpha_ = float(self.alpha_scale) * (
            float(self.alpha) if self.alpha is not None else 2.0 / (sq_to_mean if sq_to_mean > 0 else 1.0))
        x_sq = (X ** 2).sum(1)
        tol = self.tol * float(X.var(0).mean())  # like sklearn: the shift threshold follows the data's scale
        rng = np.random.RandomState(self.random_state)
        best = None
        inits = [np.asarray(self.init, dtype=np.float64)] if isinstance(self.init, np.ndarray) else None
        for run in range(1 if inits else self.n_init):
            if inits:
                centers = inits[0].copy()
                if centers.shape != (self.n_clusters, X.shape[1]):
                    raise DataError(f"cluster.ekmeans.init has shape {centers.shape}, expected {(self.n_clusters, X.shape[1])}")
            else:
                centers, _ = kmeans_plusplus(X, self.n_clusters, x_squared_norms=x_sq, random_state=rng.randint(2**31 - 1))
            centers, n_iter, objective, weights = self._lloyd(X, x_sq, centers, tol)
            if best is None or objective < best[2]:
                best = (centers, n_iter, objective, weights)
        self.cluster_centers_, self.n_iter_, self.objective_, self.cluster_weights_ = best
        self.labels_ = self.predict(X)
        return self

    def _lloyd(self, X, x_sq, centers, tol):
        weights = np.zeros(len(centers))
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):
            num, den, abs_den, _ = _weighted_sums(X, x_sq, centers, self.alpha_)
            # Guard: a centroid whose weights cancel (or underflow) keeps its previous position instead of NaN/inf.
            # So does one whose weights sum below zero (mostly repelled, far from every point): num / den is then
            # a stationary point of a locally concave objective, a jump away from the data rather than a descent.
            ok = den > 1e-10 * np.maximum(abs_den, np.finfo(float).tiny)
            new = centers.copy()
            new[ok] = num[ok] / den[ok, None]
            new[~np.isfinite(new).all(1)] = centers[~np.isfinite(new).all(1)]
            shift = ((new - centers) ** 2).sum()
            centers, weights = new, den
            if shift <= tol:
                break
        objective = _weighted_sums(X, x_sq, centers, self.alpha_)[3]
        return centers, n_iter, objective, weights

    def predict(self, X) -> np.ndarray:
        X = _as_data(X, "ekmeans")
        if X.shape[1] != self.cluster_centers_.shape[1]:
            raise DataError(f"cluster.ekmeans: predict got {X.shape[1]} features, fit had {self.cluster_centers_.shape[1]}")
        out = np.empty(len(X), dtype=np.int64)
        c_sq = (self.cluster_centers_ ** 2).sum(1)
        for i in range(0, len(X), CHUNK):
            out[i:i + CHUNK] = _sq_dist(X[i:i + CHUNK], (X[i:i + CHUNK] ** 2).sum(1), self.cluster_centers_, c_sq).argmin(1)
        return out

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X).labels_


def ekm_weights(d: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """EKM weights w (n, K) and smooth minima J (n,) from squared distances d (n, K); finite for every alpha > 0.

    Subtracting each row's minimum before exponentiating keeps exp() in (0, 1], and p * (d - J) is formed before
    multiplying by alpha so an underflowed p = 0 never meets an infinite factor.
    """
    logits = -alpha * (d - d.min(1, keepdims=True))
    p = np.exp(logits)
    p /= p.sum(1, keepdims=True)
    J = (p * d).sum(1)
    w = p - alpha * (p * (d - J[:, None]))
    return w, J


def _weighted_sums(X, x_sq, centers, alpha):
    """sum_n w_kn x_n (K, D), sum_n w_kn (K,), sum_n |w_kn| (K,), sum_n J_n; in row chunks."""
    K, D = centers.shape
    num, den, abs_den, objective = np.zeros((K, D)), np.zeros(K), np.zeros(K), 0.0
    c_sq = (centers ** 2).sum(1)
    for i in range(0, len(X), CHUNK):
        Xc = X[i:i + CHUNK]
        w, J = ekm_weights(_sq_dist(Xc, x_sq[i:i + CHUNK], centers, c_sq), alpha)
        num += w.T @ Xc
        den += w.sum(0)
        abs_den += np.abs(w).sum(0)
        objective += float(J.sum())
    return num, den, abs_den, objective


def _sq_dist(X, x_sq, centers, c_sq):
    return np.maximum(x_sq[:, None] - 2.0 * X @ centers.T + c_sq[None, :], 0.0)


def _as_data(X, name: str | None = None, dtype=np.float64) -> np.ndarray:
    from kit.features.files import check_matrix

    return check_matrix(X, f"cluster.{name}: input" if name else "cluster: input", dtype)
