"""One epoch of each refine phase (scan, self-label, semi) over the state refine's setup builds.

Every random draw comes from the epoch's generator in a fixed order (order, neighbour picks, views, labeled
picks), so an epoch is a function of (state, seed, epoch) and a resumed run replays the uninterrupted one.
Those draws stay on the CPU generator on every device: their values index host arrays (images, neighbours, labels).

Images go to the encoder in channels_last on every device (oneDNN's NHWC convolutions are the faster ones on the
CPU too). On CUDA the forward passes also run under bf16 autocast (as pretrain does), host batches go through pinned
memory with non-blocking copies, and the loss sums stay on the GPU until the epoch's end (one host read per epoch).
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
from kit.train.loop import autocast, batch_starts
from kit.train.pretrain import batch_to

LABELED_BATCH = 64  # labeled images per step (drawn with replacement: there may be fewer than a batch)


def lr_factor(schedule: str, step: int, total_steps: int) -> float:
    """Multiplier of every base learning rate at a global step (0 .. total_steps - 1): 1 (constant), or a cosine
    from 1 towards 1%, reached at step total_steps, one past the last step taken (steadier last epochs). A function
    of the step alone, so a resume needs no scheduler state."""
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
    profile: torch.Tensor | None = None  # estimated cluster shares (refine.entropy_prior: estimated), else None
    priors: list | None = None  # each head's target sizes once ranked (kit.refine.priors), else None: equal sizes

    def __post_init__(self) -> None:
        self.base_lrs = [g["lr"] for g in self.opt.param_groups]
        self.starts = batch_starts(len(self.images), self.batch_size)  # no batch of one image (BatchNorm)
        self.steps_per_epoch = len(self.starts)

    def batches(self, order: np.ndarray, epoch: int) -> Iterator[np.ndarray]:
        """The epoch's batches of image indices, each after setting its step's learning rate."""
        for step, i in enumerate(self.starts):
            factor = lr_factor(self.lr_schedule, epoch * self.steps_per_epoch + step,
                               self.epochs_total * self.steps_per_epoch)
            for group, base in zip(self.opt.param_groups, self.base_lrs):
                group["lr"] = base * factor
            yield order[i:i + self.batch_size]

    def embed(self, idx: np.ndarray, preset: str, gen: torch.Generator) -> torch.Tensor:
        """Latents of the images ``idx`` under a view ``preset`` (cached features when nothing varies)."""
        if self.feats is not None:
            return self.feats[host_to(idx, self.dev)]
        x = batch_to(self.images[idx], self.dev)
        if preset != "none":
            x = tensor_augment(x, preset, gen)
        if x.dim() == 4:  # the encoder is channels_last (kit.refine.model.place)
            x = x.contiguous(memory_format=torch.channels_last)
        if self.freeze_encoder:
            with torch.no_grad():
                return self.encoder.encode(x)
        return self.encoder.encode(x)

    def labeled_losses(self, heads, gen: torch.Generator) -> list[torch.Tensor]:
        """Cross-entropy of each head on one batch of labeled images (weak view): outputs become class indices."""
        pick = torch.randint(0, len(self.labeled_index), (min(self.batch_size, LABELED_BATCH),), generator=gen).numpy()
        target = host_to(self.labeled_labels[pick], self.dev)
        z = self.embed(self.labeled_index[pick], self.augment, gen)
        return [F.cross_entropy(head(z).float(), target) for head in heads]

    def step(self, loss: torch.Tensor) -> None:
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()


def host_to(a: np.ndarray, dev: torch.device) -> torch.Tensor:
    """A host array on ``dev``: through pinned memory with a non-blocking copy on CUDA, a plain ``.to`` elsewhere."""
    t = torch.from_numpy(np.ascontiguousarray(a))
    return t.pin_memory().to(dev, non_blocking=True) if dev.type == "cuda" else t.to(dev)


def new_stats(n_heads: int) -> dict:
    """Per-epoch sums: each head's loss, SCAN's terms (kept head), pseudo-labels used, labeled loss, steps."""
    return {"head_loss": np.zeros(n_heads), "consistency": 0.0, "entropy": 0.0, "confident": 0, "labeled_loss": 0.0,
            "steps": 0}


class EpochSums:
    """An epoch's sums (``new_stats``' keys) with the loss terms kept as float64 tensors where the losses are (the
    GPU on CUDA: no host sync per step) and read to the host once, by ``stats``.

    Each float32 loss is widened to float64 and added in step order, exactly what ``float(loss)`` per step summed
    in Python floats did, so the values (metrics.csv, the kept head) are the same to the bit.
    """

    TERMS = ("consistency", "entropy", "labeled_loss")

    def __init__(self, n_heads: int, dev: torch.device) -> None:
        where = dev if dev.type == "cuda" else torch.device("cpu")
        self.head_loss = torch.zeros(n_heads, dtype=torch.float64, device=where)
        self.terms = torch.zeros(len(self.TERMS), dtype=torch.float64, device=where)
        self.confident, self.steps = 0, 0

    def add(self, term: str, value: torch.Tensor) -> None:
        self.terms[self.TERMS.index(term)] += value.detach().to(self.terms.device, torch.float64)

    def add_heads(self, losses: list[torch.Tensor]) -> None:
        """Every head's loss of the step."""
        self.head_loss += torch.stack([loss.detach() for loss in losses]).to(self.head_loss.device, torch.float64)

    def add_head(self, head: int, loss: torch.Tensor) -> None:
        self.head_loss[head] += loss.detach().to(self.head_loss.device, torch.float64)

    def stats(self) -> dict:
        """The epoch's sums as ``new_stats`` holds them (numpy head losses, Python floats): one host read."""
        terms = self.terms.tolist()
        return {"head_loss": self.head_loss.cpu().numpy(), **dict(zip(self.TERMS, terms)),
                "confident": self.confident, "steps": self.steps}


def scan_epoch(t: Training, order: np.ndarray, epoch: int, gen: torch.Generator, best: int) -> dict:
    """SCAN: every head makes each image agree with a random one of its neighbours (+ the labeled loss)."""
    sums = EpochSums(len(t.heads.heads), t.dev)
    for a in t.batches(order, epoch):
        pick = torch.randint(0, t.neighbors.shape[1], (len(a),), generator=gen).numpy()
        with autocast(t.dev):
            za, zn = t.embed(np.concatenate([a, t.neighbors[a, pick]]), t.augment, gen).split(len(a))
            priors = t.priors or [None] * len(t.heads.heads)
            out = [scan_loss(la, ln, t.entropy_weight, pr) for la, ln, pr in zip(t.heads(za), t.heads(zn), priors)]
            losses = [o[0] for o in out]
            if t.labeled_index is not None:
                sup = t.labeled_losses(t.heads.heads, gen)
                losses = [loss + t.labeled_weight * s for loss, s in zip(losses, sup)]
                sums.add("labeled_loss", sup[best])
        t.step(sum(losses))
        sums.add_heads(losses)
        sums.add("consistency", out[best][1])
        sums.add("entropy", out[best][2])
        sums.steps += 1
    return sums.stats()


def self_label_epoch(t: Training, order: np.ndarray, epoch: int, gen: torch.Generator, best: int) -> dict:
    """The kept head learns its own confident weak-view predictions on the strong view, class-balanced
    (+ the labeled loss)."""
    sums = EpochSums(len(t.heads.heads), t.dev)
    head = t.heads.heads[best]
    for a in t.batches(order, epoch):
        with autocast(t.dev):
            weak, strong = _views(t, head, a, gen)
            loss, used = self_label_loss(weak, strong, t.confidence, t.n_clusters)
            if t.labeled_index is not None:
                sup = t.labeled_losses([head], gen)[0]
                loss = loss + t.labeled_weight * sup
                sums.add("labeled_loss", sup)
        t.step(loss)
        sums.add_head(best, loss)
        sums.confident += used
        sums.steps += 1
    return sums.stats()


def semi_epoch(t: Training, order: np.ndarray, epoch: int, gen: torch.Generator, best: int) -> dict:
    """FixMatch: cross-entropy on labeled images + the strong view learns confident weak-view predictions."""
    sums = EpochSums(len(t.heads.heads), t.dev)
    head = t.heads.heads[best]
    for a in t.batches(order, epoch):
        with autocast(t.dev):
            weak, strong = _views(t, head, a, gen)
            loss, used = fixmatch_loss(weak, strong, t.fixmatch_threshold)
            sup = t.labeled_losses([head], gen)[0]
            loss = loss + t.labeled_weight * sup
        sums.add("labeled_loss", sup)
        t.step(loss)
        sums.add_head(best, loss)
        sums.confident += used
        sums.steps += 1
    return sums.stats()


def _views(t: Training, head, a: np.ndarray, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(weak-view logits without gradients, strong-view logits) of the batch ``a``."""
    with torch.no_grad():
        weak = head(t.embed(a, t.augment, gen))
    return weak, head(t.embed(a, t.strong_augment, gen))


PHASES = {"scan": scan_epoch, "self-label": self_label_epoch, "semi": semi_epoch}
