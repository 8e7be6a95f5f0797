"""Choose the number of clusters from the data: ``n_clusters: auto`` when the competition does not say it.

``choose_k(X)`` scores every K in [k_min, k_max] on a few seeded subsamples of at most ``max_rows`` rows and
returns the K with the best mean score, with the table of scores. The default criterion, ``tsne_silhouette``, won
the measurements in bench/auto_k.md (scripts/attempts/auto_k.py): each subsample is L2-normalised, reduced to at
most 50 PCA components and mapped to 2-D with t-SNE (a 2-D or 3-D input is used as it is, it already is a map);
K-Means with K clusters on the map is scored by its silhouette. t-SNE separates the groups that a neighbour graph
sees, which K-Means on the raw features does not: on sklearn digits the silhouette of K-Means on the features
peaks anywhere from 9 to 14 across seeds, on the t-SNE map at 10.

The other criteria stay for comparison (``criterion``); each scores one K, larger is better:
- ``silhouette``, ``calinski_harabasz``: of K-Means on the prepared features (CH favours K = 2 on real features).
- ``stability``: ARI between the K-Means partitions of two random halves, both predicted on the whole subsample
  (favours small K: two halves agree on a coarse split).
- ``eigengap``: lambda_{K+1} - lambda_K of the normalised Laplacian of the symmetric 10-NN (cosine) graph.

What it finds is the number of groups the features separate, which is not always the number of classes: where
classes overlap (Fashion-MNIST's shirts, pullovers and coats) it finds fewer, where a class has distinct styles
more, and where one split dominates (CIFAR-10's animals vs vehicles) it finds 2. K = 1 is never chosen (no criterion
scores it); a run (kit.pipeline.stages) searches from PIPELINE_K_MIN = 3.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from kit.errors import ConfigError, DataError
from kit.features.files import check_matrix
from kit.reduce.subsample import subsample_index

AUTO = "auto"
K_MIN, K_MAX = 2, 20
# What `n_clusters: auto` in a run searches from. Never 2: a competition of two groups is the binary type (auto is 2
# there without looking), and where one split dominates the features every criterion answers 2 (CIFAR-10 on
# ImageNet features: animals vs vehicles, ACC 0.46 -> 0.19 with K-Means; bench/auto_k.md). From 3 that row finds 7.
PIPELINE_K_MIN = 3
MAX_ROWS = 1500  # rows per subsample: t-SNE, K-Means and the silhouette of 19 values of K in seconds
N_REPEATS = 3  # subsamples whose score curves are averaged: one t-SNE map's choice can move by one
PCA_DIMS = 50


def is_auto(value: Any) -> bool:
    """True for the config value ``auto`` (n_clusters of cluster and refine)."""
    return isinstance(value, str) and value == AUTO


def choose_k(X, k_min: int = K_MIN, k_max: int = K_MAX, seed: int = 0, *, criterion: str = "tsne_silhouette",
             max_rows: int = MAX_ROWS, n_repeats: int = N_REPEATS) -> tuple[int, dict[str, Any]]:
    """(K, scores table). The table: {"criterion", "k": [k_min..k_max], "score": mean over the repeats,
    "std", "rows": rows per subsample, "repeats"}; K is the first K with the highest mean score.
    k_max is lowered to what the subsample allows (rows - 1)."""
    if criterion not in CRITERIA:
        raise ConfigError(f"n_clusters auto: criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}")
    for name, value, low in (("k_min", k_min, 2), ("k_max", k_max, 2), ("max_rows", max_rows, 10),
                             ("n_repeats", n_repeats, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ConfigError(f"n_clusters auto: {name} must be an integer >= {low}, got {value!r}")
    if k_max < k_min:
        raise ConfigError(f"n_clusters auto: k_max={k_max} is below k_min={k_min}")
    X = check_matrix(X, "n_clusters auto: features", dtype=None)  # no float64 copy of all rows: subsamples only
    rows = min(len(X), int(max_rows))
    k_max = min(int(k_max), rows - 1)
    if k_max < k_min:
        raise DataError(f"n_clusters auto: {len(X)} rows are too few to choose a number of clusters >= {k_min}")
    if not np.ptp(X, axis=0).any():
        raise DataError(f"n_clusters auto: all {len(X)} rows are identical; there are no clusters to count")
    ks = list(range(int(k_min), k_max + 1))
    scores = np.empty((int(n_repeats), len(ks)))
    for r in range(int(n_repeats)):
        rs = (int(seed) * 1000 + r) % 2**32  # a valid numpy/sklearn seed for every --seed
        Z = _prepare(X[subsample_index(len(X), rows, rs)], rs)
        scores[r] = CRITERIA[criterion](Z, ks, rs)
    mean = scores.mean(0)
    k = ks[int(np.argmax(mean))]
    return k, {"criterion": criterion, "k": ks, "score": [float(v) for v in mean],
               "std": [float(v) for v in scores.std(0)], "rows": rows, "repeats": int(n_repeats)}


def describe_choice(k: int, table: dict[str, Any], n_total: int | None = None) -> str:
    """One line: 'chose 7 (tsne_silhouette by k: 2 0.41, 3 0.44, ...; 3 x 1500 of 20000 rows)'."""
    pairs = ", ".join(f"{kk} {s:.3f}" for kk, s in zip(table["k"], table["score"]))
    of = f" of {n_total}" if n_total is not None and n_total > table["rows"] else ""
    return (f"chose {k} ({table['criterion']} by k: {pairs}; {table['repeats']} x {table['rows']}{of} rows)")


def record(k: int, table: dict[str, Any], source: str) -> dict[str, Any]:
    """What a stage writes down about the choice (model.json's "auto_k", clusters.npz's auto_k_* arrays)."""
    return {"n_clusters": int(k), "source": source, **table}


# --- preparation and criteria ------------------------------------------------------------------------------------

def _prepare(X: np.ndarray, seed: int) -> np.ndarray:
    """L2-normalised rows reduced to at most PCA_DIMS components; a map of <= 3 columns is kept as it is."""
    X = np.asarray(X, dtype=np.float64)
    if X.shape[1] <= 3:
        return X
    X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    dims = min(PCA_DIMS, X.shape[1], len(X))
    if dims < X.shape[1]:
        from sklearn.decomposition import PCA

        X = PCA(dims, random_state=seed).fit_transform(X)
    return X


def _kmeans(Z: np.ndarray, k: int, seed: int, n_init: int = 3) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(k, n_init=n_init, random_state=seed).fit_predict(Z)


def _silhouette(Z: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import silhouette_score

    return float(silhouette_score(Z, labels)) if 2 <= len(np.unique(labels)) < len(Z) else -1.0


def _tsne_map(Z: np.ndarray, seed: int) -> np.ndarray:
    """The 2-D t-SNE map of Z (kit's reducer: its input guards), or Z itself when it has <= 3 columns or too few
    rows for a perplexity of 5."""
    if Z.shape[1] <= 3 or len(Z) < 16:
        return Z
    from kit.reduce import create_reducer

    perplexity = float(min(30.0, (len(Z) - 1) / 3.0))
    # Barnes-Hut: faster than the FFT gradients on a few thousand rows (which pay off from ~10k rows)
    tsne = create_reducer({"method": "tsne", "n_components": 2, "perplexity": perplexity, "n_iter": 500,
                           "negative_gradient_method": "bh", "random_state": seed})
    return tsne.fit_transform(Z)


def tsne_silhouette(Z: np.ndarray, ks: list[int], seed: int) -> np.ndarray:
    E = _tsne_map(Z, seed)
    return np.array([_silhouette(E, _kmeans(E, k, seed)) for k in ks])


def silhouette(Z: np.ndarray, ks: list[int], seed: int) -> np.ndarray:
    return np.array([_silhouette(Z, _kmeans(Z, k, seed)) for k in ks])


def calinski_harabasz(Z: np.ndarray, ks: list[int], seed: int) -> np.ndarray:
    from sklearn.metrics import calinski_harabasz_score

    out = []
    for k in ks:
        labels = _kmeans(Z, k, seed)
        out.append(calinski_harabasz_score(Z, labels) if len(np.unique(labels)) >= 2 else 0.0)
    return np.array(out, dtype=np.float64)


def stability(Z: np.ndarray, ks: list[int], seed: int, n_pairs: int = 3) -> np.ndarray:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(seed)
    half = len(Z) // 2
    out = []
    for k in ks:
        if half <= k:
            out.append(-1.0)
            continue
        agree = []
        for p in range(n_pairs):
            order = rng.permutation(len(Z))
            a, b = (KMeans(k, n_init=2, random_state=(seed + 2 * p + i) % 2**32).fit(Z[order[i * half:(i + 1) * half]])
                    for i in (0, 1))
            agree.append(adjusted_rand_score(a.predict(Z), b.predict(Z)))
        out.append(float(np.mean(agree)))
    return np.array(out)


def eigengap(Z: np.ndarray, ks: list[int], seed: int, n_neighbors: int = 10) -> np.ndarray:
    from scipy import sparse
    from scipy.sparse.linalg import eigsh

    from kit.features.neighbors import knn

    n = len(Z)
    nn = min(n_neighbors, n - 1)
    idx = knn(np.ascontiguousarray(Z, dtype=np.float32), nn, metric="cosine" if Z.shape[1] > 3 else "l2")[0]
    A = sparse.csr_matrix((np.ones(n * nn), (np.repeat(np.arange(n), nn), idx.ravel())), shape=(n, n))
    A = ((A + A.T) > 0).astype(np.float64)
    d = 1.0 / np.sqrt(np.asarray(A.sum(1)).ravel())
    M = sparse.diags(d) @ A @ sparse.diags(d)
    m = min(max(ks) + 1, n - 1)
    v0 = np.random.default_rng(seed).standard_normal(n)
    top = eigsh(M, k=m, which="LA", v0=v0)[0] if m < n - 1 else np.linalg.eigvalsh(M.toarray())[-m:]
    lam = np.sort(1.0 - top)  # the m smallest Laplacian eigenvalues, ascending; lam[k] is the (k+1)-th
    return np.array([lam[k] - lam[k - 1] if k < len(lam) else 0.0 for k in ks])


CRITERIA: dict[str, Callable[[np.ndarray, list[int], int], np.ndarray]] = {
    "tsne_silhouette": tsne_silhouette,
    "silhouette": silhouette,
    "calinski_harabasz": calinski_harabasz,
    "stability": stability,
    "eigengap": eigengap,
}
