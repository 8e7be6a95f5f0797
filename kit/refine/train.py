"""Refine: train on the clustering objective itself (SCAN), then self-label; with labels, FixMatch.

Phases (one epoch counter, so a checkpoint says where to resume):
1. ``epochs`` of SCAN (mode scan): each image must agree with a random one of its k nearest neighbours
   (mined in the model's feature space), several heads at once; the head with the lowest loss is kept.
2. ``self_label_epochs``: weak-view predictions above ``confidence`` become class-balanced pseudo-labels
   for the strong view; the confident set grows as the head sharpens.
Mode semi (labeled images given): cross-entropy on the labeled images + FixMatch consistency on the rest,
so head outputs are class indices. The result is a model folder with a classifier head: ``extract kind:
logits`` + ``cluster: {method: argmax}`` make the submission; probabilities.npz holds the class probabilities.

Frozen encoder with augment and strong_augment "none": features are computed once and only the heads train
(seconds on a CPU); otherwise every batch goes through the encoder with augmentation.

``model`` is a trained model folder or the registered name of a network to train from scratch (e.g. small_cnn,
SCAN without the pretext task): then its neighbours come from a descriptor (``neighbor_features: dsift``), since
a fresh network's features are random.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from kit.errors import ConfigError, DataError
from kit.io import read_json, write_csv, write_npz
from kit.models import load_model, write_model_folder
from kit.models.classifier import Classifier
from kit.refine.heads import ClusterHeads, permute_classes
from kit.refine.losses import fixmatch_loss, scan_loss, self_label_loss
from kit.train.augment import check_preset, tensor_augment
from kit.train.inference import batched
from kit.train.loop import (load_checkpoint, pick_device, progress_bar, resumable, rng_state, save_checkpoint,
                           seed_epoch, set_rng_state, to_tensor)
from kit.train.options import check_ranges

MODES = ("auto", "scan", "semi")
SCHEDULES = ("constant", "cosine")
NEIGHBOR_FEATURES = ("model", "pixels", "dsift")


def resolve_mode(mode: str, has_labels: bool) -> str:
    """auto -> semi with labeled images, scan without; the pipeline asks this to know whether to mine neighbours."""
    return ("semi" if has_labels else "scan") if mode == "auto" else mode


def mine_neighbors(model_dir: str | Path | None, images: np.ndarray, k: int = 20, device: str = "auto",
                   reduce_steps: list[dict] | None = None, seed: int = 0, features: str = "model") -> np.ndarray:
    """Indices (N, k) of each image's k nearest neighbours (cosine) in the model's feature space (``features``
    model) or a descriptor's (pixels, dsift), or in that space after ``reduce_steps`` (e.g. [{method: umap,
    n_components: 10}]: UMAP's neighbours are often purer)."""
    if k >= len(images):
        raise ConfigError(f"refine.k={k} must be smaller than the number of images ({len(images)})")
    if features != "model":
        return _neighbors(_describe(features, images), k, reduce_steps, seed)
    encoder = _encoder(load_model(_model_dir(model_dir), device="cpu"))
    dev = pick_device(device)
    return _neighbors(batched(encoder.to(dev).eval().encode, images, dev), k, reduce_steps, seed)


def _describe(features: str, images: np.ndarray) -> np.ndarray:
    if features not in NEIGHBOR_FEATURES:
        raise ConfigError(f"refine.neighbor_features must be one of {NEIGHBOR_FEATURES}, got {features!r}")
    from kit.descriptors import describe

    return describe(features, images)


def _neighbors(feats: np.ndarray, k: int, reduce_steps: list[dict] | None, seed: int) -> np.ndarray:
    from kit.neighbors import knn

    if reduce_steps:
        from kit.reduce import reduce

        feats = reduce(feats, reduce_steps, seed=seed)
    return knn(feats, k, metric="l2" if reduce_steps else "cosine")[0]


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
    self_label_epochs: int = 20,
    n_heads: int = 5,
    head_hidden: int = 256,
    entropy_weight: float = 5.0,
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
    """
    out_dir = Path(out_dir)
    check_ranges("refine", dict(k=k, epochs=epochs, self_label_epochs=self_label_epochs, n_heads=n_heads,
                                hidden=head_hidden, entropy_weight=entropy_weight, confidence=confidence,
                                threshold=fixmatch_threshold, labeled_weight=labeled_weight, batch_size=batch_size,
                                lr=lr, encoder_lr=encoder_lr, weight_decay=weight_decay))
    check_preset(augment)
    check_preset(strong_augment)
    if mode not in MODES:
        raise ConfigError(f"refine.mode must be one of {MODES}, got {mode!r}")
    if lr_schedule not in SCHEDULES:
        raise ConfigError(f"refine.lr_schedule must be one of {SCHEDULES}, got {lr_schedule!r}")
    if neighbor_features not in NEIGHBOR_FEATURES:
        raise ConfigError(f"refine.neighbor_features must be one of {NEIGHBOR_FEATURES}, got {neighbor_features!r}")
    if images.ndim != 4 or images.dtype != np.uint8 or len(images) < 2:
        raise DataError(f"refine needs uint8 N,H,W,C images (N >= 2), got {images.dtype} {images.shape}")
    n = len(images)
    if k >= n:
        raise ConfigError(f"refine.k={k} must be smaller than the number of images ({n})")
    has_labels = labeled_index is not None and len(labeled_index) > 0
    if mode == "semi" and not has_labels:
        raise ConfigError("refine.mode semi needs labeled images, but the competition has no labeled.csv")
    mode = resolve_mode(mode, has_labels)
    if has_labels:
        labeled_index = np.asarray(labeled_index, dtype=np.int64)
        labeled_labels = np.asarray(labeled_labels, dtype=np.int64)
        if len(labeled_index) != len(labeled_labels) or labeled_labels.min() < 0:
            raise DataError("refine: labeled_index and labeled_labels must align, with labels >= 0")
        if n_clusters and n_clusters <= int(labeled_labels.max()):
            raise ConfigError(f"refine.n_clusters={n_clusters} disagrees with the labeled classes "
                              f"(labels go up to {int(labeled_labels.max())})")
        n_clusters = n_clusters or int(labeled_labels.max()) + 1
    if n_clusters < 2:
        raise ConfigError(f"refine.n_clusters must be >= 2 (default: the competition's class count), got {n_clusters}")

    dev = pick_device(device)
    torch.manual_seed(seed)
    encoder, meta, fresh = _start(model, model_kwargs, images)
    if fresh and freeze_encoder:
        raise ConfigError(f"refine.freeze_encoder must be false (--no-freeze) for a fresh {model}: its weights are random")
    if fresh and mode == "scan" and neighbors is None and neighbor_features == "model":
        raise ConfigError(f"refine.neighbor_features: a fresh {model}'s features are random; "
                          "mine neighbours in dsift or pixels")
    encoder = encoder.to(dev)
    encoder.requires_grad_(not freeze_encoder)
    heads = ClusterHeads(encoder.latent_dim, n_clusters, n_heads if mode == "scan" else 1, head_hidden).to(dev)
    groups = [{"params": list(heads.parameters()), "lr": lr}]
    if not freeze_encoder:  # a pretrained encoder moves slowly (SCAN: 1e-4); fresh heads need a large step
        groups.append({"params": list(encoder.parameters()), "lr": encoder_lr})
    opt = torch.optim.Adam(groups, weight_decay=weight_decay)
    base_lrs = [g["lr"] for g in groups]
    total_epochs = epochs + (self_label_epochs if mode == "scan" else 0)
    steps_per_epoch = len(range(0, n - (1 if n % batch_size == 1 else 0), batch_size))

    cached = freeze_encoder and augment == "none" and strong_augment == "none"
    mine = neighbors is None and mode == "scan"
    feats_np = (batched(encoder.eval().encode, images, dev)  # encoded once for both
                if cached or (mine and neighbor_features == "model") else None)
    if mine:
        neighbors = (_neighbors(feats_np, k, neighbor_reduce, seed) if neighbor_features == "model"
                     else mine_neighbors(None, images, k, reduce_steps=neighbor_reduce, seed=seed,
                                         features=neighbor_features))
    feats = torch.from_numpy(feats_np).to(dev) if cached else None

    def embed(idx: np.ndarray, preset: str, gen) -> torch.Tensor:
        if cached:
            return feats[torch.from_numpy(idx).to(dev)]
        x = to_tensor(images[idx], dev)
        if preset != "none":
            x = tensor_augment(x, preset, gen)
        return encode(x)

    def encode(x: torch.Tensor) -> torch.Tensor:
        if freeze_encoder:
            with torch.no_grad():
                return encoder.encode(x)
        return encoder.encode(x)

    rows: list[dict] = []
    start, best = 0, 0
    last = out_dir / "checkpoints" / "last.pt"
    if resume and last.exists():
        ck = load_checkpoint(last, dev)
        try:
            heads.load_state_dict(ck["heads"])
            if "encoder" in ck:
                encoder.load_state_dict(ck["encoder"])
            opt.load_state_dict(ck["optimizer"])
        except (RuntimeError, KeyError, ValueError) as e:
            raise ConfigError(f"{last}: checkpoint does not fit these refine options ({str(e).splitlines()[0][:120]}); "
                              "rerun with --force (kit run) / without --resume to start fresh") from None
        start, best, rows = int(ck["epoch"]), int(ck["best"]), list(ck["metrics"])
        set_rng_state(ck["rng"])
    last.parent.mkdir(parents=True, exist_ok=True)

    with progress_bar(progress) as bar, resumable("refine", last):
        task = bar.add_task(f"refine {mode}", total=total_epochs, completed=start, info="")
        for epoch in range(start, total_epochs):
            t0 = time.perf_counter()
            gen = seed_epoch(seed, epoch)
            heads.train()
            encoder.train(not freeze_encoder)
            phase = "semi" if mode == "semi" else "scan" if epoch < epochs else "self-label"
            order = torch.randperm(n, generator=gen).numpy()
            sums = np.zeros(len(heads.heads))
            stats = {"consistency": 0.0, "entropy": 0.0, "confident": 0, "labeled_loss": 0.0}
            steps = 0
            for i in range(0, n - (1 if n % batch_size == 1 else 0), batch_size):
                a = order[i:i + batch_size]
                if lr_schedule == "cosine":
                    t = (epoch * steps_per_epoch + steps) / max(1, total_epochs * steps_per_epoch)
                    for group, base_lr in zip(opt.param_groups, base_lrs):
                        group["lr"] = base_lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * t)))
                if phase == "scan":
                    pick = torch.randint(0, neighbors.shape[1], (len(a),), generator=gen).numpy()
                    za, zn = embed(np.concatenate([a, neighbors[a, pick]]), augment, gen).split(len(a))
                    out = [scan_loss(la, ln, entropy_weight) for la, ln in zip(heads(za), heads(zn))]
                    loss = sum(o[0] for o in out)
                    sums += [float(o[0].detach()) for o in out]
                    stats["consistency"] += float(out[best][1].detach())
                    stats["entropy"] += float(out[best][2].detach())
                else:
                    head = heads.heads[best]
                    with torch.no_grad():
                        weak = head(embed(a, augment, gen))
                    strong = head(embed(a, strong_augment, gen))
                    if phase == "self-label":
                        loss, used = self_label_loss(weak, strong, confidence, n_clusters)
                    else:
                        loss, used = fixmatch_loss(weak, strong, fixmatch_threshold)
                        pick = torch.randint(0, len(labeled_index), (min(batch_size, 64),), generator=gen).numpy()
                        lab, target = labeled_index[pick], torch.from_numpy(labeled_labels[pick]).to(dev)
                        sup = F.cross_entropy(head(embed(lab, augment, gen)).float(), target)
                        loss = loss + labeled_weight * sup
                        stats["labeled_loss"] += float(sup.detach())
                    sums[best] += float(loss.detach())
                    stats["confident"] += used
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                steps += 1
            if phase == "scan" and epoch == epochs - 1:
                best = int(np.argmin(sums))  # SCAN keeps the head with the lowest loss
            row = {"epoch": epoch + 1, "phase": phase, "loss": float(sums[best] / steps), "head": best,
                   "consistency": stats["consistency"] / steps, "entropy": stats["entropy"] / steps,
                   "confident": stats["confident"], "labeled_loss": stats["labeled_loss"] / steps,
                   "seconds": time.perf_counter() - t0}
            rows.append(row)
            state = dict(heads=heads.state_dict(), optimizer=opt.state_dict(), epoch=epoch + 1, best=best,
                         metrics=rows, rng=rng_state(), model={})
            if not freeze_encoder:
                state["encoder"] = encoder.state_dict()
            save_checkpoint(last, **state)
            write_csv(out_dir / "metrics.csv", pd.DataFrame(rows))
            bar.update(task, advance=1, info=f"{phase} loss {row['loss']:.4f}" + (
                f" confident {row['confident']}" if phase != "scan" else f" entropy {row['entropy']:.3f}"))

    head = heads.heads[best].cpu()
    model = Classifier(encoder.cpu().eval(), n_clusters, head_hidden)
    model.head.load_state_dict(head.state_dict())
    model.eval()
    if mode == "scan" and has_labels:  # clusters -> classes with the labeled images, baked into the head
        from kit.cluster.label_mapping import map_clusters_to_labels

        pred = batched(model, images[labeled_index], "cpu").argmax(1)
        mapping = map_clusters_to_labels(np.r_[pred, np.arange(n_clusters)], np.arange(len(pred)), labeled_labels,
                                         n_clusters, method="hungarian")  # every head output gets a class
        permute_classes(model.head, np.argsort(mapping, kind="stable"))
    probs = F.softmax(torch.from_numpy(batched(model.to(dev), images, dev)), 1).numpy()
    write_npz(out_dir / "probabilities.npz", ids=np.asarray(ids if ids is not None else np.arange(n)).astype(str),
              probabilities=probs.astype(np.float32))
    meta["head"] = {"n_classes": n_clusters, "hidden": head_hidden}
    meta["refine"] = {"mode": mode, "k": k, "epochs": epochs, "self_label_epochs": self_label_epochs, "head": best,
                      "freeze_encoder": freeze_encoder, "n_labeled": int(len(labeled_index)) if has_labels else 0,
                      "fresh": fresh, "neighbor_features": neighbor_features}
    return write_model_folder(model.cpu(), out_dir, meta)


def _start(model: str | Path, model_kwargs: dict | None, images: np.ndarray) -> tuple[torch.nn.Module, dict, bool]:
    """(encoder, model.json contents, fresh?): a trained model folder's encoder, or a registered model built new."""
    from kit.models import create_model
    from kit.models.registry import MODELS

    name = str(model)
    if not Path(name).exists() and "/" not in name and "\\" not in name:  # a name, not a path
        if not name.startswith("timm:"):
            MODELS.get(name)  # neither a folder nor a registered model: a did-you-mean error
        kwargs = dict(model_kwargs or {})
        net = create_model(name, images.shape[-1], images.shape[1], **kwargs)
        meta = {"name": name, "kwargs": kwargs, "in_channels": int(images.shape[-1]), "image_size": int(images.shape[1])}
        return net, meta, True
    if model_kwargs:
        raise ConfigError("refine.model_kwargs only applies to a fresh model (a registered name), not a model folder")
    model_dir = _model_dir(model)
    return _encoder(load_model(model_dir, device="cpu")), read_json(model_dir / "model.json"), False


def _model_dir(model_dir: str | Path) -> Path:
    model_dir = Path(model_dir)
    if not (model_dir / "model.json").exists() or not (model_dir / "model.pt").exists():
        raise ConfigError(f"refine: {model_dir} is not a kit model folder (no model.json/model.pt); "
                          "give the output folder of kit pretrain or kit finetune, or a registered model name "
                          "to train from scratch (e.g. small_cnn)")
    return model_dir


def _encoder(net):
    """The encoder of a pretrained model, or of a finetuned one (its head is replaced)."""
    return net.encoder if isinstance(net, Classifier) else net
