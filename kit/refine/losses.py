"""Losses of the refine stage, small and separately testable (after SCAN's and FixMatch's loss modules).

All take logits (N, K) and return scalars; probabilities are computed in float32.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def scan_loss(anchor_logits: torch.Tensor, neighbor_logits: torch.Tensor, entropy_weight: float = 5.0,
              prior: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """SCAN: -mean log <p(anchor), p(neighbour)> - entropy_weight * H(mean p(anchor)).

    The first term makes an image agree with its neighbours; the entropy of the mean prediction keeps every
    cluster in use (without it, putting everything in one cluster is a perfect solution). The entropy is largest
    for equal cluster sizes; given a ``prior`` (K cluster shares, e.g. estimated from the data for imbalanced
    classes) the term is log K - KL(mean p || prior) instead, largest at mean p = prior and equal to the entropy
    for a uniform prior. None: the entropy, computed as always.
    Returns (total, consistency, entropy term).
    """
    p_a = F.softmax(anchor_logits.float(), dim=1)
    p_n = F.softmax(neighbor_logits.float(), dim=1)
    similarity = (p_a * p_n).sum(1).clamp_min(1e-7)
    consistency = -similarity.log().mean()
    mean = p_a.mean(0).clamp_min(1e-8)
    if prior is None:
        entropy = -(mean * mean.log()).sum()
    else:
        prior = torch.as_tensor(prior, dtype=torch.float32, device=mean.device).clamp_min(1e-8)
        prior = prior / prior.sum()
        entropy = math.log(mean.numel()) - (mean * (mean.log() - prior.log())).sum()
    return consistency - entropy_weight * entropy, consistency, entropy


def confident(probs: torch.Tensor, threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(mask, labels): rows whose top probability is strictly above ``threshold``, and their argmax."""
    top, labels = probs.max(1)
    return top > threshold, labels


def self_label_loss(weak_logits: torch.Tensor, strong_logits: torch.Tensor, threshold: float = 0.99,
                    n_classes: int | None = None) -> tuple[torch.Tensor, int]:
    """Cross-entropy of the strong view against confident weak-view predictions, class-balanced.

    Each pseudo-class is weighted by the inverse of its count among the confident rows, so the classes that are
    confident first do not swallow the rest. Returns (loss, number of pseudo-labels used); loss 0 when none.
    """
    with torch.no_grad():
        mask, target = confident(F.softmax(weak_logits.float(), dim=1), threshold)
    n = int(mask.sum())
    if n == 0:
        return strong_logits.sum() * 0.0, 0
    k = n_classes or strong_logits.shape[1]
    counts = torch.bincount(target[mask], minlength=k).float()
    weight = torch.where(counts > 0, counts.sum() / (k * counts.clamp_min(1)), torch.zeros_like(counts))
    return F.cross_entropy(strong_logits[mask].float(), target[mask], weight=weight), n


def fixmatch_loss(weak_logits: torch.Tensor, strong_logits: torch.Tensor, threshold: float = 0.95
                  ) -> tuple[torch.Tensor, int]:
    """FixMatch's unlabeled term: mean over ALL rows of masked CE(strong, argmax weak) (unweighted)."""
    with torch.no_grad():
        mask, target = confident(F.softmax(weak_logits.float(), dim=1), threshold)
    ce = F.cross_entropy(strong_logits.float(), target, reduction="none")
    return (ce * mask.float()).mean(), int(mask.sum())
