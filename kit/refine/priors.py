"""Cluster-size targets for SCAN's entropy term in refine, for imbalanced classes (``refine.entropy_prior``).

``uniform`` (default): the entropy term pulls every head towards equal cluster sizes. ``estimated``: the shares
of a K-Means in the space the neighbours are mined in (kit.cluster.scan.size_profile: sorted, floored), given
to each head after the first third of the SCAN epochs, ranked to the head's own cluster sizes (its largest
cluster gets the largest share), so the term is log K - KL(mean prediction || prior) (kit.refine.losses).
The ranking uses the heads' mean prediction over a fixed seeded sample of the images without views, so it is a
function of the training state and a resumed run ranks as the uninterrupted one did.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from kit.cluster.scan import PRIOR_WARMUP, PRIORS, ranked_priors, size_profile

__all__ = ["PRIORS", "estimated_profile", "prior_warmup", "rank_priors"]

SAMPLE = 4096  # images whose mean prediction ranks each head's clusters


def estimated_profile(features: np.ndarray, n_clusters: int, seed: int) -> torch.Tensor:
    """Sorted cluster shares of a K-Means of the L2-normalised ``features`` (PCA 50 first when wider)."""
    X = np.asarray(features, dtype=np.float32).reshape(len(features), -1)
    X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    if X.shape[1] > 50:
        from sklearn.decomposition import PCA

        X = PCA(50, random_state=seed).fit_transform(X).astype(np.float32)
    return size_profile(X, n_clusters, seed)


def prior_warmup(scan_epochs: int) -> int:
    """The first SCAN epoch trained towards the estimated sizes (the ones before use equal sizes)."""
    return int(math.ceil(scan_epochs * PRIOR_WARMUP))


@torch.no_grad()
def rank_priors(t) -> list[torch.Tensor]:
    """The profile reordered for each head of ``t`` (kit.refine.phases.Training) by its clusters' mean prediction
    over the fixed sample, encoder in eval mode (its training mode is restored)."""
    n = len(t.images)
    sample = np.sort(np.random.default_rng(0).choice(n, min(n, SAMPLE), replace=False))
    was_training = t.encoder.training
    t.encoder.eval()
    z = torch.cat([t.embed(sample[i:i + t.batch_size], "none", None) for i in range(0, len(sample), t.batch_size)])
    t.encoder.train(was_training)
    return [p.to(t.dev) for p in ranked_priors(t.heads, z.float(), t.profile)]
