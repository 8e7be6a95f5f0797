"""Refine: train on the clustering objective itself (SCAN), then self-label; with labels, they join the loss.

Phases (one epoch counter, so a checkpoint says where to resume; kit.refine.phases has one function per phase):
1. ``epochs`` of SCAN (mode scan): each image must agree with a random one of its k nearest neighbours
   (mined in the model's feature space), several heads at once; the head with the lowest loss is kept.
   With labeled images every head also learns ``labeled_weight`` x their cross-entropy, so head outputs are
   class indices (no mapping afterwards).
2. ``self_label_epochs``: weak-view predictions above ``confidence`` become class-balanced pseudo-labels
   for the strong view; the confident set grows as the head sharpens (the labeled loss stays on).
Mode semi: cross-entropy on the labeled images + FixMatch consistency on the rest. Mode auto takes scan
(+ labels when there are some) whenever neighbours can be mined, semi only where they cannot (a fresh network
with neighbours in its own random features). The result is a model folder with a classifier head: ``extract
kind: logits`` + ``cluster: {method: argmax}`` make the submission; probabilities.npz holds the class probabilities.

Frozen encoder with augment and strong_augment "none": features are computed once and only the heads train
(seconds on a CPU); otherwise every batch goes through the encoder with augmentation.

The encoder runs in channels_last on every device. On CUDA the training passes also run under bf16 autocast (as
pretrain does), batches are copied from pinned memory without blocking and the loss sums are read to the host once
per epoch (kit.refine.phases).

``model`` is a trained model folder or the registered name of a network to train from scratch (e.g. small_cnn,
SCAN without the pretext task): then its neighbours come from a descriptor (``neighbor_features: dsift``), since
a fresh network's features are random.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from kit.cluster.scan import MIN_SCAN_STEPS
from kit.errors import ConfigError, DataError
from kit.io import write_csv, write_npz
from kit.models import write_model_folder
from kit.models.classifier import Classifier
from kit.refine.heads import ClusterHeads, permute_classes
from kit.refine.model import is_fresh, place, start_model
from kit.refine.neighbors import NEIGHBOR_FEATURES, describe, mine_neighbors, neighbors_of
from kit.refine.phases import PHASES, Training
from kit.refine.priors import PRIORS, estimated_profile, prior_warmup, rank_priors
from kit.train.augment import check_preset
from kit.train.inference import batched
from kit.train.loop import (batch_starts, fingerprint, last_checkpoint, open_state, pick_device, progress_bar,
                           restore_state, resumable, save_state, seed_epoch)
from kit.train.options import check_ranges

__all__ = ["refine", "mine_neighbors", "resolve_mode", "MODES", "SCHEDULES", "NEIGHBOR_FEATURES"]

MODES = ("auto", "scan", "semi")
SCHEDULES = ("constant", "cosine")


def resolve_mode(mode: str, has_labels: bool, fresh: bool = False, neighbor_features: str = "model") -> str:
    """auto -> scan (labels, if any, join its loss) whenever neighbours can be mined; semi with labels where they
    cannot: a fresh network's own features are random. The pipeline asks this to know whether to mine neighbours."""
    if mode != "auto":
        return mode
    return "semi" if has_labels and fresh and neighbor_features == "model" else "scan"


@dataclass(frozen=True)
class Options:
    """refine's training options once checked (mode resolved, n_clusters known): all that shapes training,
    recorded in the checkpoint so a resume with other options is refused."""

    model_kwargs: dict | None
    neighbor_features: str
    lr_schedule: str
    n_clusters: int
    mode: str
    k: int
    neighbor_reduce: list | None
    epochs: int
    min_steps: int
    self_label_epochs: int
    n_heads: int
    head_hidden: int
    entropy_weight: float
    entropy_prior: str
    confidence: float
    fixmatch_threshold: float
    labeled_weight: float
    freeze_encoder: bool
    augment: str
    strong_augment: str
    batch_size: int
    lr: float
    encoder_lr: float
    weight_decay: float
    seed: int

    @property
    def total_epochs(self) -> int:
        return self.epochs + (self.self_label_epochs if self.mode == "scan" else 0)

    def phase(self, epoch: int) -> str:
        return "semi" if self.mode == "semi" else "scan" if epoch < self.epochs else "self-label"


def refine(
    model: str | Path,
    images: np.ndarray,
    out_dir: str | Path,
    *,
    model_kwargs: dict | None = None,
    neighbor_features: str = "model",
    lr_schedule: str = "constant",
    ids: np.ndarray | None = None,
    neighbors: np.ndarray | None = None,
    labeled_index: np.ndarray | None = None,
    labeled_labels: np.ndarray | None = None,
    n_clusters: int = 0,
    mode: str = "auto",
    k: int = 20,
    neighbor_reduce: list | None = None,
    epochs: int = 100,
    min_steps: int = 0,
    self_label_epochs: int = 20,
    n_heads: int = 5,
    head_hidden: int = 256,
    entropy_weight: float = 5.0,
    entropy_prior: str = "uniform",
    confidence: float = 0.99,
    fixmatch_threshold: float = 0.95,
    labeled_weight: float = 1.0,
    freeze_encoder: bool = True,
    augment: str = "light",
    strong_augment: str = "strong",
    batch_size: int = 256,
    lr: float = 1e-2,
    encoder_lr: float = 1e-4,
    weight_decay: float = 1e-4,
    seed: int = 0,
    device: str = "auto",
    resume: bool = False,
    progress: bool = True,
) -> Path:
    """Returns the model folder (encoder + the kept head). ``labeled_index`` are positions in ``images``.

    ``model``: a model folder, or a registered model name (built fresh with ``model_kwargs``; trained here).
    ``lr_schedule`` cosine: every learning rate decays to 1% of its value over all epochs (steadier last epochs).
    ``min_steps``: SCAN epochs are raised (one line says so) until they make at least this many optimizer steps, so
    a recipe sized in epochs for 20,000 images still trains on 500.
    """
    given = dict(locals())
    out_dir = Path(out_dir)
    labels = _check_labels(images, labeled_index, labeled_labels)
    o = _check(model, images, {f.name: given[f.name] for f in fields(Options)}, labels, neighbors is not None)
    dev = pick_device(device)
    last = last_checkpoint(out_dir)
    shaping = {**asdict(o), "model": str(model), "data": fingerprint(images, *(labels or (None, None)), neighbors)}
    ck = open_state(last, resume, dev, "refine", shaping, needs=("heads", "optimizer", "best"))
    t, meta, fresh = _setup(model, images, o, neighbors, labels, dev)
    start, rows = restore_state(ck, last, "refine", heads=t.heads, optimizer=t.opt,
                                **({} if o.freeze_encoder else {"encoder": t.encoder}))
    if progress and start == 0:
        _say_steps(o, len(images), epochs)
    best = _train(t, o, shaping, last, start, int(ck["best"]) if ck else 0, rows, progress)
    return _finish(t, o, best, labels, ids, meta, fresh, out_dir)


def _say_steps(o: Options, n: int, asked: int) -> None:
    """One line on stderr when min_steps raised the SCAN epochs, or when they make few optimizer steps (a small
    competition with the epochs of a large one): the heads then often put every image in one cluster."""
    import sys

    if o.mode != "scan":
        return
    per_epoch = len(batch_starts(n, o.batch_size))
    steps = o.epochs * per_epoch
    if o.epochs > asked:
        print(f"refine: {asked} epochs make {asked * per_epoch} optimizer steps on {n} images; "
              f"training {o.epochs} epochs ({steps} steps, refine.min_steps {o.min_steps})", file=sys.stderr)
    elif steps < MIN_SCAN_STEPS:
        print(f"refine: only {steps} optimizer steps ({n} images, batch {o.batch_size}, {o.epochs} epochs); SCAN "
              f"needs about {MIN_SCAN_STEPS}: set refine.min_steps: {MIN_SCAN_STEPS}, raise refine.epochs or lower "
              "refine.batch_size", file=sys.stderr)


def _check_labels(images: np.ndarray, labeled_index, labeled_labels) -> tuple[np.ndarray, np.ndarray] | None:
    """(positions, classes) of the labeled images as int64 arrays, or None without labels."""
    if images.ndim != 4 or images.dtype != np.uint8 or len(images) < 2:
        raise DataError(f"refine needs uint8 N,H,W,C images (N >= 2), got {images.dtype} {images.shape}")
    if labeled_index is None or len(labeled_index) == 0:
        return None
    index = np.asarray(labeled_index, dtype=np.int64)
    classes = np.asarray(labeled_labels, dtype=np.int64)
    if len(index) != len(classes) or classes.min() < 0:
        raise DataError("refine: labeled_index and labeled_labels must align, with labels >= 0")
    return index, classes


def _check(model, images: np.ndarray, options: dict, labels, has_neighbors: bool) -> Options:
    """Every option checked before any work (one ConfigError naming the key); mode and n_clusters resolved."""
    ranged = ("k", "epochs", "min_steps", "self_label_epochs", "n_heads", "head_hidden", "entropy_weight",
              "confidence", "fixmatch_threshold", "labeled_weight", "batch_size", "lr", "encoder_lr", "weight_decay",
              "n_clusters", "seed", "model_kwargs")
    check_ranges("refine", {key: options[key] for key in ranged})
    check_preset(options["augment"])
    check_preset(options["strong_augment"])
    if options["batch_size"] < 2:
        raise ConfigError(f"refine.batch_size must be >= 2 (the heads' BatchNorm needs two images a step), "
                          f"got {options['batch_size']}")
    for key, allowed in (("mode", MODES), ("lr_schedule", SCHEDULES), ("neighbor_features", NEIGHBOR_FEATURES),
                         ("entropy_prior", PRIORS)):
        if options[key] not in allowed:
            raise ConfigError(f"refine.{key} must be one of {allowed}, got {options[key]!r}")
    if options["k"] >= len(images):
        raise ConfigError(f"refine.k={options['k']} must be smaller than the number of images ({len(images)})")
    if options["mode"] == "semi" and labels is None:
        raise ConfigError("refine.mode semi needs labeled images, but the competition has no labeled.csv")
    n_clusters = options["n_clusters"]
    if labels is not None:
        top = int(labels[1].max())
        if n_clusters and n_clusters <= top:
            raise ConfigError(f"refine.n_clusters={n_clusters} disagrees with the labeled classes "
                              f"(labels go up to {top})")
        n_clusters = n_clusters or top + 1
    if n_clusters < 2:
        raise ConfigError(f"refine.n_clusters must be >= 2 (default: the competition's class count), got {n_clusters}")
    mode = resolve_mode(options["mode"], labels is not None, is_fresh(model) and not has_neighbors,
                        options["neighbor_features"])
    epochs = options["epochs"]
    if mode == "scan" and options["min_steps"]:
        per_epoch = len(batch_starts(len(images), options["batch_size"]))
        epochs = max(epochs, math.ceil(options["min_steps"] / per_epoch))
    return Options(**{**options, "mode": mode, "n_clusters": n_clusters, "epochs": epochs})


def _setup(model, images: np.ndarray, o: Options, neighbors, labels, dev: torch.device
           ) -> tuple[Training, dict, bool]:
    """Encoder (seeded), heads, optimizer, cached features and neighbours: (training state, model.json, fresh?)."""
    torch.manual_seed(o.seed)
    encoder, meta, fresh = start_model(model, o.model_kwargs, images)
    if fresh and o.freeze_encoder:
        raise ConfigError(f"refine.freeze_encoder must be false (--no-freeze) for a fresh {model}: its weights are random")
    if fresh and o.mode == "scan" and neighbors is None and o.neighbor_features == "model":
        raise ConfigError(f"refine.neighbor_features: a fresh {model}'s features are random; "
                          "mine neighbours in dsift or pixels")
    encoder = place(encoder, dev)  # channels_last
    encoder.requires_grad_(not o.freeze_encoder)
    heads = ClusterHeads(encoder.latent_dim, o.n_clusters, o.n_heads if o.mode == "scan" else 1, o.head_hidden).to(dev)
    groups = [{"params": list(heads.parameters()), "lr": o.lr}]
    if not o.freeze_encoder:  # a pretrained encoder moves slowly (SCAN: 1e-4); fresh heads need a large step
        groups.append({"params": list(encoder.parameters()), "lr": o.encoder_lr})
    opt = torch.optim.Adam(groups, weight_decay=o.weight_decay)

    cached = o.freeze_encoder and o.augment == "none" and o.strong_augment == "none"
    mine = neighbors is None and o.mode == "scan"
    estimate = o.entropy_prior == "estimated" and o.mode == "scan"  # K-Means cluster shares in the neighbours' space
    feats = (batched(encoder.eval().encode, images, dev)  # encoded once for all
             if cached or ((mine or estimate) and o.neighbor_features == "model") else None)
    space = (feats if o.neighbor_features == "model"  # where neighbours are mined and sizes estimated, built once
             else describe(o.neighbor_features, images) if mine or estimate else None)
    if mine:
        neighbors = neighbors_of(space, o.k, o.neighbor_reduce, o.seed)
    use_labels = labels is not None and (o.mode == "semi" or o.labeled_weight > 0)
    profile = estimated_profile(space, o.n_clusters, o.seed) if estimate else None
    t = Training(encoder=encoder, heads=heads, opt=opt, dev=dev, images=images,
                 feats=torch.from_numpy(feats).to(dev) if cached else None, neighbors=neighbors,
                 labeled_index=labels[0] if use_labels else None, labeled_labels=labels[1] if use_labels else None,
                 freeze_encoder=o.freeze_encoder, augment=o.augment, strong_augment=o.strong_augment,
                 batch_size=o.batch_size, lr_schedule=o.lr_schedule, epochs_total=o.total_epochs,
                 entropy_weight=o.entropy_weight, confidence=o.confidence, fixmatch_threshold=o.fixmatch_threshold,
                 labeled_weight=o.labeled_weight, n_clusters=o.n_clusters, profile=profile)
    return t, meta, fresh


def _train(t: Training, o: Options, shaping: dict, last: Path, start: int, best: int, rows: list[dict],
           progress: bool) -> int:
    """Epochs ``start``.. of each phase, a checkpoint and metrics.csv after every one; returns the kept head."""
    with progress_bar(progress) as bar, resumable("refine", last):  # the first checkpoint makes checkpoints/
        task = bar.add_task(f"refine {o.mode}", total=o.total_epochs, completed=start, info="")
        for epoch in range(start, o.total_epochs):
            t0 = time.perf_counter()
            gen = seed_epoch(o.seed, epoch)
            t.heads.train()
            t.encoder.train(not o.freeze_encoder)
            phase = o.phase(epoch)
            if t.profile is not None and phase == "scan" and epoch >= prior_warmup(o.epochs):
                t.priors = rank_priors(t)  # each head's target sizes, ranked to its own clusters' sizes
            order = torch.randperm(len(t.images), generator=gen).numpy()
            stats = PHASES[phase](t, order, epoch, gen, best)
            if phase == "scan" and epoch == o.epochs - 1:
                best = int(np.argmin(stats["head_loss"]))  # SCAN keeps the head with the lowest loss
            rows.append(_row(epoch, phase, best, stats, time.perf_counter() - t0))
            state = {"heads": t.heads.state_dict(), "optimizer": t.opt.state_dict(), "best": best}
            if not o.freeze_encoder:
                state["encoder"] = t.encoder.state_dict()
            save_state(last, shaping, epoch=epoch + 1, metrics=rows, total=o.total_epochs, **state)
            write_csv(last.parent.parent / "metrics.csv", pd.DataFrame(rows))
            row = rows[-1]
            bar.update(task, advance=1, info=f"{phase} loss {row['loss']:.4f}" + (
                f" confident {row['confident']}" if phase != "scan" else f" entropy {row['entropy']:.3f}"))
    return best


def _row(epoch: int, phase: str, best: int, stats: dict, seconds: float) -> dict:
    """One metrics.csv row: the kept head's mean loss and the phase's terms."""
    steps = stats["steps"]
    return {"epoch": epoch + 1, "phase": phase, "loss": float(stats["head_loss"][best] / steps), "head": best,
            "consistency": stats["consistency"] / steps, "entropy": stats["entropy"] / steps,
            "confident": stats["confident"], "labeled_loss": stats["labeled_loss"] / steps, "seconds": seconds}


def _finish(t: Training, o: Options, best: int, labels, ids, meta: dict, fresh: bool, out_dir: Path) -> Path:
    """The kept head on the encoder as a Classifier, clusters mapped to classes when the labels were not in the
    loss, probabilities.npz and the model folder."""
    model = Classifier(t.encoder.cpu().eval(), o.n_clusters, o.head_hidden)
    model.head.load_state_dict(t.heads.heads[best].cpu().state_dict())
    model.eval()
    labels_used = t.labeled_index is not None
    if labels is not None and not labels_used:  # a safety net (labeled_weight 0): map with the labeled images
        from kit.cluster.label_mapping import map_clusters_to_labels

        index, classes = labels
        pred = batched(model, t.images[index], "cpu").argmax(1)
        mapping = map_clusters_to_labels(np.r_[pred, np.arange(o.n_clusters)], np.arange(len(pred)), classes,
                                         o.n_clusters, method="hungarian")  # every head output gets a class
        permute_classes(model.head, np.argsort(mapping, kind="stable"))
    probs = F.softmax(torch.from_numpy(batched(model.to(t.dev), t.images, t.dev)), 1).numpy()
    n = len(t.images)
    write_npz(out_dir / "probabilities.npz", ids=np.asarray(ids if ids is not None else np.arange(n)).astype(str),
              probabilities=probs.astype(np.float32))
    meta["head"] = {"n_classes": o.n_clusters, "hidden": o.head_hidden}
    meta["refine"] = {"mode": o.mode, "k": o.k, "epochs": o.epochs, "self_label_epochs": o.self_label_epochs,
                      "head": best, "freeze_encoder": o.freeze_encoder,
                      "n_labeled": int(len(labels[0])) if labels is not None else 0, "labels_in_loss": labels_used,
                      "fresh": fresh, "neighbor_features": o.neighbor_features}
    return write_model_folder(model.cpu(), out_dir, meta)
