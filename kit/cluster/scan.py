"""SCAN on fixed features: refine's clustering heads trained on a frozen backbone's features, as a clusterer.

A pretrained backbone's features are extracted once (a cached stage); training only the heads on them takes
seconds on a CPU, so the expensive part never reruns when a clustering option changes. Each row must agree with a
random one of its ``k`` nearest neighbours (cosine), with SCAN's entropy term keeping every cluster in use; several
heads train at once and the one with the lowest loss is kept. ``self_label_epochs`` then sharpen the kept head on
its own confident predictions (class-balanced). Given labels (``fit(X, y)`` with -1 for unlabeled rows, sklearn's
semi-supervised convention), the labeled rows add a cross-entropy term, so head outputs are class indices
(``labels_are_classes_``) and the labels shape the clusters instead of only naming them.

The entropy term pulls every head towards equal cluster sizes. ``entropy_prior="estimated"`` lets it follow the
data instead, for imbalanced classes: the cluster sizes are estimated once by a K-Means of the (L2-normalised)
features, sorted and clipped below at ``PRIOR_FLOOR / n_clusters`` (``prior_profile_``); after a first third of
the epochs with the uniform target, each epoch gives each head that profile as its target, rank-matched to the
head's own mean prediction over all rows (its largest cluster gets the largest share, and so on: K-Means' cluster
indices mean nothing to a head). The term is then log K - KL(mean prediction || prior) (kit.refine.losses.scan_loss).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from kit.cluster.base import Clusterer
from kit.errors import DataError
from kit.registry import choice, require
from kit.train.loop import batch_starts

PRIORS = ("uniform", "estimated")
PRIOR_FLOOR = 0.1  # an estimated cluster share is at least this over n_clusters
PRIOR_WARMUP = 1 / 3  # share of the SCAN epochs trained with the uniform target before estimating
MIN_SCAN_STEPS = 200  # below this many optimizer steps SCAN's heads are mostly untrained: refine and cluster warn


class SCANClusterer(Clusterer):
    name = "scan"
    learns_from_labels = True  # given fit(X, y) with labeled rows

    def __init__(self, n_clusters: int = 10, k: int = 20, epochs: int = 60, self_label_epochs: int = 0,
                 n_heads: int = 5, entropy_weight: float = 2.0, confidence: float = 0.99, labeled_weight: float = 1.0,
                 lr: float = 1e-2, weight_decay: float = 1e-4, batch_size: int = 256, random_state: int = 0,
                 entropy_prior: str = "uniform") -> None:
        self.n_clusters = n_clusters
        self.k = k
        self.epochs = epochs
        self.self_label_epochs = self_label_epochs
        self.n_heads = n_heads
        self.entropy_weight = entropy_weight
        self.confidence = confidence
        self.labeled_weight = labeled_weight
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.random_state = random_state
        self.entropy_prior = entropy_prior

    def _check_params(self) -> None:
        w = "cluster.scan"
        require(self.n_clusters >= 2, f"{w}.n_clusters", f"must be >= 2, got {self.n_clusters}")
        require(self.k >= 1, f"{w}.k", f"must be >= 1, got {self.k}")
        require(self.epochs >= 1, f"{w}.epochs", f"must be >= 1, got {self.epochs}")
        require(self.self_label_epochs >= 0, f"{w}.self_label_epochs", f"must be >= 0, got {self.self_label_epochs}")
        require(self.n_heads >= 1, f"{w}.n_heads", f"must be >= 1, got {self.n_heads}")
        require(self.entropy_weight >= 0, f"{w}.entropy_weight", f"must be >= 0, got {self.entropy_weight}")
        require(0 < self.confidence < 1, f"{w}.confidence", f"must be in (0, 1), got {self.confidence}")
        require(self.labeled_weight >= 0, f"{w}.labeled_weight", f"must be >= 0, got {self.labeled_weight}")
        require(self.lr > 0, f"{w}.lr", f"must be > 0, got {self.lr}")
        require(self.weight_decay >= 0, f"{w}.weight_decay", f"must be >= 0, got {self.weight_decay}")
        require(self.batch_size >= 2, f"{w}.batch_size", f"must be >= 2, got {self.batch_size}")
        choice(self.entropy_prior, PRIORS, f"{w}.entropy_prior")

    def fit(self, X, y=None):
        from kit.features.neighbors import knn
        from kit.refine.heads import ClusterHeads
        from kit.refine.losses import scan_loss, self_label_loss

        self._check_params()
        X = self._data(X, np.float32)
        n = len(X)
        require(self.k < n, "cluster.scan.k", f"must be smaller than the number of rows ({n}), got {self.k}")
        labeled, targets = _labeled(y, n, self.n_clusters)
        self.n_features_ = X.shape[1]
        self.neighbors_ = knn(X, self.k, metric="cosine", seed=self.random_state)[0]
        Z = torch.from_numpy(X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12))
        gen = torch.Generator().manual_seed(int(self.random_state))
        torch.manual_seed(int(self.random_state))
        heads = ClusterHeads(X.shape[1], self.n_clusters, self.n_heads, 0)
        opt = torch.optim.Adam(heads.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        bs = min(self.batch_size, n)
        sums = np.zeros(self.n_heads)
        priors = [None] * self.n_heads  # None: the uniform target, computed as the plain entropy
        warmup = int(np.ceil(self.epochs * PRIOR_WARMUP))
        profile = self.prior_profile_ = (size_profile(Z.numpy(), self.n_clusters, self.random_state)
                                         if self.entropy_prior == "estimated" else None)
        for epoch in range(self.epochs + self.self_label_epochs):
            order = torch.randperm(n, generator=gen)
            scan = epoch < self.epochs
            if scan and self.entropy_prior == "estimated" and epoch >= warmup:
                priors = ranked_priors(heads, Z, profile)
            sums[:] = 0
            for i in batch_starts(n, bs):  # never a batch of one (BatchNorm)
                a = order[i:i + bs]
                if scan:
                    pick = torch.randint(0, self.k, (len(a),), generator=gen)
                    nb = torch.from_numpy(self.neighbors_[a.numpy(), pick.numpy()])
                    outs = [scan_loss(la, ln, self.entropy_weight, pr)
                            for la, ln, pr in zip(heads(Z[a]), heads(Z[nb]), priors)]
                    losses = [o[0] for o in outs]
                else:
                    head = heads.heads[self.head_]
                    logits = head(Z[a])
                    losses = [self_label_loss(logits.detach(), logits, self.confidence, self.n_clusters)[0]]
                if labeled is not None:  # labels shape every head (and the kept one while self-labelling)
                    pick = labeled[torch.randint(0, len(labeled), (min(bs, len(labeled)),), generator=gen).numpy()]
                    x, t = Z[pick], torch.from_numpy(targets[pick])
                    hs = heads.heads if scan else [heads.heads[self.head_]]
                    losses = [loss + self.labeled_weight * F.cross_entropy(h(x), t) for loss, h in zip(losses, hs)]
                total = sum(losses)
                opt.zero_grad(set_to_none=True)
                total.backward()
                opt.step()
                if scan:
                    sums += [float(v.detach()) for v in losses]
            if scan and epoch == self.epochs - 1:
                self.head_ = int(np.argmin(sums))  # SCAN keeps the head with the lowest loss
        heads.eval()
        self.n_scan_steps_ = self.epochs * len(batch_starts(n, bs))  # few of them: mostly untrained heads
        self.priors_ = None if priors[0] is None else np.stack([p.numpy() for p in priors])
        self.head_module_ = heads.heads[self.head_]
        self.labels_are_classes_ = labeled is not None
        self.probabilities_ = self._proba(Z)
        self.labels_ = self.probabilities_.argmax(1).astype(np.int64)
        return self

    @torch.no_grad()
    def _proba(self, Z: torch.Tensor) -> np.ndarray:
        return torch.cat([F.softmax(self.head_module_(Z[i:i + 4096]), 1) for i in range(0, len(Z), 4096)]).numpy()

    def predict_proba(self, X) -> np.ndarray:
        X = self._new_data(X, np.float32)
        return self._proba(torch.from_numpy(X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)))

    def predict(self, X) -> np.ndarray:
        return self.predict_proba(X).argmax(1).astype(np.int64)


def size_profile(Z: np.ndarray, k: int, seed: int) -> torch.Tensor:
    """Cluster shares of a K-Means of the rows, largest first, clipped at PRIOR_FLOOR / k, summing to 1."""
    from sklearn.cluster import KMeans

    labels = KMeans(k, n_init=10, random_state=seed).fit_predict(Z)
    shares = np.sort(np.bincount(labels, minlength=k))[::-1] / len(Z)
    shares = np.maximum(shares, PRIOR_FLOOR / k)
    return torch.from_numpy(shares / shares.sum()).float()


@torch.no_grad()
def ranked_priors(heads, Z: torch.Tensor, profile: torch.Tensor) -> list[torch.Tensor]:
    """For each head, ``profile`` reordered to the rank of the head's clusters by mean prediction (eval mode)."""
    heads.eval()
    means = [torch.zeros(len(profile), device=Z.device) for _ in heads.heads]
    for i in range(0, len(Z), 4096):
        for m, logits in zip(means, heads(Z[i:i + 4096])):
            m += F.softmax(logits.float(), 1).sum(0)
    heads.train()
    priors = []
    for m in means:
        prior = torch.empty_like(profile)
        prior[torch.argsort(m.cpu(), descending=True, stable=True)] = profile
        priors.append(prior)
    return priors


def _labeled(y, n: int, n_classes: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(rows with a label, class of every row) from y with -1 for unlabeled rows; (None, None) without labels."""
    if y is None:
        return None, None
    y = np.asarray(y, dtype=np.int64).ravel()
    if len(y) != n:
        raise DataError(f"cluster: {len(y)} labels for {n} rows")
    rows = np.flatnonzero(y >= 0)
    if not len(rows):
        return None, None
    if y.max() >= n_classes:
        raise DataError(f"cluster: label {y.max()} needs n_clusters > {y.max()}, got n_clusters={n_classes}")
    return rows, np.where(y >= 0, y, 0)
