"""One epoch of each refine phase (scan, self-label, semi) over the state refine's setup builds.

Every random draw comes from the epoch's generator in a fixed order (order, neighbour picks, views, labeled
picks), so an epoch is a function of (state, seed, epoch) and a resumed run replays the uninterrupted one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from kit.refine.heads import ClusterHeads
from kit.refine.losses import fixmatch_loss, scan_loss, self_label_loss
from kit.train.augment import tensor_augment
from kit.train.loop import to_tensor

LABELED_BATCH = 64  # labeled images per step (drawn with replacement: there may be fewer than a batch)


def lr_factor(schedule: str, step: int, total_steps: int) -> float:
    """Multiplier of every base learning rate at a global step: 1 (constant), or a cosine from 1 down to 1%
    at the last step (steadier last epochs). A function of the step alone, so a resume needs no scheduler state."""
    if schedule == "constant":
        return 1.0
    t = step / max(1, total_steps)
    return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * t))


@dataclass
class Training:
    """What every epoch works on: modules, optimizer, images (or their cached features), neighbours, labels."""

    encoder: torch.nn.Module
    heads: ClusterHeads
    opt: torch.optim.Optimizer
    dev: torch.device
    images: np.ndarray
    feats: torch.Tensor | None  # features computed once (frozen encoder, no views), else None
    neighbors: np.ndarray | None
    labeled_index: np.ndarray | None  # None: no labels in the loss
    labeled_labels: np.ndarray | None
    freeze_encoder: bool
    augment: str
    strong_augment: str
    batch_size: int
    lr_schedule: str
    epochs_total: int
    entropy_weight: float
    confidence: float
    fixmatch_threshold: float
    labeled_weight: float
    n_clusters: int

    def __post_init__(self) -> None:
        self.base_lrs = [g["lr"] for g in self.opt.param_groups]
        n = len(self.images)
        self.stop = n - (1 if n % self.batch_size == 1 else 0)  # no batch of one image (BatchNorm)
        self.steps_per_epoch = len(range(0, self.stop, self.batch_size))

    def batches(self, order: np.ndarray, epoch: int) -> Iterator[np.ndarray]:
        """The epoch's batches of image indices, each after setting its step's learning rate."""
        for step, i in enumerate(range(0, self.stop, self.batch_size)):
            factor = lr_factor(self.lr_schedule, epoch * self.steps_per_epoch + step,
                               self.epochs_total * self.steps_per_epoch)
            for group, base in zip(self.opt.param_groups, self.base_lrs):
                group["lr"] = base * factor
            yield order[i:i + self.batch_size]

    def embed(self, idx: np.ndarray, preset: str, gen: torch.Generator) -> torch.Tensor:
        """Latents of the images ``idx`` under a view ``preset`` (cached features when nothing varies)."""
        if self.feats is not None:
            return self.feats[torch.from_numpy(idx).to(self.dev)]
        x = to_tensor(self.images[idx], self.dev)
        if preset != "none":
            x = tensor_augment(x, preset, gen)
        if self.freeze_encoder:
            with torch.no_grad():
                return self.encoder.encode(x)
        return self.encoder.encode(x)

    def labeled_losses(self, heads, gen: torch.Generator) -> list[torch.Tensor]:
        """Cross-entropy of each head on one batch of labeled images (weak view): outputs become class indices."""
        pick = torch.randint(0, len(self.labeled_index), (min(self.batch_size, LABELED_BATCH),), generator=gen).numpy()
        target = torch.from_numpy(self.labeled_labels[pick]).to(self.dev)
        z = self.embed(self.labeled_index[pick], self.augment, gen)
        return [F.cross_entropy(head(z).float(), target) for head in heads]

    def step(self, loss: torch.Tensor) -> None:
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()


def new_stats(n_heads: int) -> dict:
    """Per-epoch sums: each head's loss, SCAN's terms (kept head), pseudo-labels used, labeled loss, steps."""
    return {"head_loss": np.zeros(n_heads), "consistency": 0.0, "entropy": 0.0, "confident": 0, "labeled_loss": 0.0,
            "steps": 0}


def scan_epoch(t: Training, order: np.ndarray, epoch: int, gen: torch.Generator, best: int) -> dict:
    """SCAN: every head makes each image agree with a random one of its neighbours (+ the labeled loss)."""
    stats = new_stats(len(t.heads.heads))
    for a in t.batches(order, epoch):
        pick = torch.randint(0, t.neighbors.shape[1], (len(a),), generator=gen).numpy()
        za, zn = t.embed(np.concatenate([a, t.neighbors[a, pick]]), t.augment, gen).split(len(a))
        out = [scan_loss(la, ln, t.entropy_weight) for la, ln in zip(t.heads(za), t.heads(zn))]
        losses = [o[0] for o in out]
        if t.labeled_index is not None:
            sup = t.labeled_losses(t.heads.heads, gen)
            losses = [loss + t.labeled_weight * s for loss, s in zip(losses, sup)]
            stats["labeled_loss"] += float(sup[best].detach())
        t.step(sum(losses))
        stats["head_loss"] += [float(loss.detach()) for loss in losses]
        stats["consistency"] += float(out[best][1].detach())
        stats["entropy"] += float(out[best][2].detach())
        stats["steps"] += 1
    return stats


def self_label_epoch(t: Training, order: np.ndarray, epoch: int, gen: torch.Generator, best: int) -> dict:
    """The kept head learns its own confident weak-view predictions on the strong view, class-balanced
    (+ the labeled loss)."""
    stats = new_stats(len(t.heads.heads))
    head = t.heads.heads[best]
    for a in t.batches(order, epoch):
        weak, strong = _views(t, head, a, gen)
        loss, used = self_label_loss(weak, strong, t.confidence, t.n_clusters)
        if t.labeled_index is not None:
            sup = t.labeled_losses([head], gen)[0]
            loss = loss + t.labeled_weight * sup
            stats["labeled_loss"] += float(sup.detach())
        t.step(loss)
        stats["head_loss"][best] += float(loss.detach())
        stats["confident"] += used
        stats["steps"] += 1
    return stats


def semi_epoch(t: Training, order: np.ndarray, epoch: int, gen: torch.Generator, best: int) -> dict:
    """FixMatch: cross-entropy on labeled images + the strong view learns confident weak-view predictions."""
    stats = new_stats(len(t.heads.heads))
    head = t.heads.heads[best]
    for a in t.batches(order, epoch):
        weak, strong = _views(t, head, a, gen)
        loss, used = fixmatch_loss(weak, strong, t.fixmatch_threshold)
        sup = t.labeled_losses([head], gen)[0]
        loss = loss + t.labeled_weight * sup
        stats["labeled_loss"] += float(sup.detach())
        t.step(loss)
        stats["head_loss"][best] += float(loss.detach())
        stats["confident"] += used
        stats["steps"] += 1
    return stats


def _views(t: Training, head, a: np.ndarray, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(weak-view logits without gradients, strong-view logits) of the batch ``a``."""
    with torch.no_grad():
        weak = head(t.embed(a, t.augment, gen))
    return weak, head(t.embed(a, t.strong_augment, gen))


PHASES = {"scan": scan_epoch, "self-label": self_label_epoch, "semi": semi_epoch}
