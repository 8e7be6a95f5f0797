"""Finetuning: a classifier head on the pretrained latent, trained on the few labeled images.

Cross-entropy on logits (no softmax before the loss). ``freeze_encoder`` keeps the encoder in eval mode
with no gradients, so its weights (BatchNorm statistics included) stay bit-identical. ``recon_weight`` > 0
adds the autoencoder's reconstruction MSE of the (augmented) batch to the loss: the joint reconstruction +
classification objective, which keeps the encoder from forgetting what it learned on all images.
Checkpoints every epoch (checkpoints/last.pt); ``resume`` continues from it. There is no LR schedule, so a resume
may ask for more epochs and still equals an uninterrupted run of that length.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split

from kit.errors import ConfigError, DataError
from kit.io import read_json, write_csv
from kit.models import load_model, write_model_folder
from kit.models.classifier import Classifier
from kit.train.augment import check_preset, tensor_augment
from kit.train.inference import batched
from kit.train.options import check_ranges
from kit.train.loop import (autocast, batch_starts, fingerprint, last_checkpoint, open_state, pick_device,
                           progress_bar, restore_state, resumable, save_state, seed_epoch, to_tensor)


def finetune(
    model_dir: str | Path,
    images: np.ndarray,
    labels: np.ndarray,
    out_dir: str | Path,
    *,
    freeze_encoder: bool = True,
    epochs: int = 50,
    lr: float = 3e-3,
    batch_size: int = 64,
    val_fraction: float = 0.2,
    augment: str = "light",
    head_hidden: int = 0,
    n_classes: int | None = None,
    weight_decay: float = 1e-4,
    recon_weight: float = 0.0,
    seed: int = 0,
    device: str = "auto",
    resume: bool = False,
    progress: bool = True,
) -> Path:
    """Returns a model folder whose ``load_model`` gives encoder + head (forward -> logits).

    ``n_classes`` (default: largest label + 1) sizes the head, for competitions where a class has no label;
    ``head_hidden`` > 0 gives it one hidden layer of that width (``finetune.hidden`` in configs of earlier releases).
    """
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    check_ranges("finetune", dict(epochs=epochs, lr=lr, batch_size=batch_size, val_fraction=val_fraction,
                                  head_hidden=head_hidden, weight_decay=weight_decay, recon_weight=recon_weight, seed=seed))
    check_preset(augment)
    if batch_size < 2:
        raise ConfigError(f"finetune.batch_size must be >= 2 (the head's BatchNorm needs two images a step), "
                          f"got {batch_size}")
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) != len(images) or len(labels) < 2:
        raise DataError(f"finetune needs >= 2 labeled images, got {len(images)} images and {len(labels)} labels")
    if labels.min() < 0:
        raise DataError("finetune labels must be class indices >= 0 (-1 marks unknown labels: drop those rows)")
    n_classes = max(int(n_classes or 0), int(labels.max()) + 1)  # a class may have no labeled image
    dev = pick_device(device)
    # the options a resume must match, as stored in checkpoints/last.pt ("hidden": the key of earlier releases'
    # checkpoints, so that an interrupted run still resumes)
    shaping = dict(model_dir=str(model_dir), freeze_encoder=freeze_encoder, lr=lr, batch_size=batch_size,
                   val_fraction=val_fraction, augment=augment, hidden=head_hidden, n_classes=n_classes,
                   weight_decay=weight_decay, recon_weight=recon_weight, seed=seed, data=fingerprint(images, labels))
    last = last_checkpoint(out_dir)
    ck = open_state(last, resume, dev, "finetune", shaping, needs=("model", "optimizer"))
    torch.manual_seed(seed)
    model = Classifier(load_model(model_dir, device="cpu"), n_classes, head_hidden).to(dev)
    if recon_weight > 0 and not getattr(model.encoder, "is_autoencoder", False):
        raise ConfigError(f"finetune.recon_weight needs an autoencoder; {model_dir} has no decoder")
    if recon_weight > 0 and freeze_encoder:
        raise ConfigError("finetune.recon_weight needs freeze_encoder: false (a frozen encoder learns nothing from it)")
    idx = np.arange(len(labels))
    n_val = int(round(val_fraction * len(labels)))
    if n_val >= n_classes and len(labels) - n_val >= max(n_classes, 2):  # >= 2 to train: BatchNorm needs a pair
        train_idx, val_idx = train_test_split(idx, test_size=n_val, stratify=labels, random_state=seed)
    else:
        train_idx, val_idx = idx, idx[:0]
    if freeze_encoder:
        model.encoder.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    start, rows = restore_state(ck, last, "finetune", model=model, optimizer=opt)
    with progress_bar(progress) as bar, resumable("finetune", last):
        task = bar.add_task("finetune", total=epochs, completed=start, info="")
        for epoch in range(start, epochs):
            rows.append(_epoch(model, opt, images, labels, train_idx, val_idx, epoch, seed, freeze_encoder, augment,
                               batch_size, recon_weight, dev))
            # the first one makes checkpoints/: a run that fails before it leaves no empty folder behind
            save_state(last, shaping, epoch=epoch + 1, metrics=rows, total=epochs, model=model.state_dict(),
                       optimizer=opt.state_dict())
            bar.update(task, advance=1, info=f"loss {rows[-1]['train_loss']:.3f} val_acc {rows[-1]['val_acc']:.3f}")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(out_dir / "metrics.csv", pd.DataFrame(rows))
    meta = read_json(model_dir / "model.json")
    meta["head"] = {"n_classes": n_classes, "hidden": head_hidden}  # the model folder's format (kit.models.registry)
    meta["finetune"] = {"freeze_encoder": freeze_encoder, "epochs": epochs, "n_labeled": len(labels),
                        "recon_weight": recon_weight}
    return write_model_folder(model.cpu(), out_dir, meta)


def _epoch(model, opt, images, labels, train_idx, val_idx, epoch, seed, freeze_encoder, augment, batch_size,
           recon_weight, dev) -> dict:
    """One pass over the labeled training images; its metrics row (validation accuracy on the held-out labels)."""
    t0 = time.perf_counter()
    gen = seed_epoch(seed, epoch)
    model.train()
    if freeze_encoder:
        model.encoder.eval()  # BatchNorm running stats must not move either
    order = train_idx[torch.randperm(len(train_idx), generator=gen).numpy()]
    total, recon_total, seen = 0.0, 0.0, 0
    for i in batch_starts(len(order), batch_size):  # no batch of one image (the head's BatchNorm)
        b = order[i:i + batch_size]
        x = tensor_augment(to_tensor(images[b], dev), augment, gen)
        with autocast(dev):
            z = model.encode(x)
            loss = F.cross_entropy(model.head(z).float(), torch.from_numpy(labels[b]).to(dev))
            if recon_weight > 0:
                mse = F.mse_loss(model.encoder.decode(z).float(), x.float())
                loss = loss + recon_weight * mse
                recon_total += float(mse.detach()) * len(b)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += float(loss.detach()) * len(b)
        seen += len(b)
    val_acc = accuracy(model, images[val_idx], labels[val_idx], dev) if len(val_idx) else float("nan")
    return {"epoch": epoch + 1, "train_loss": total / seen, "val_acc": val_acc,
            **({"recon_mse": recon_total / seen} if recon_weight > 0 else {}),
            "seconds": time.perf_counter() - t0}


def predict_logits(model, images: np.ndarray, device="cpu", batch_size: int = 512) -> np.ndarray:
    model.eval()
    return batched(model, images, device, batch_size)


def predict(model, images: np.ndarray, device="cpu") -> np.ndarray:
    return predict_logits(model, images, device).argmax(1)


def accuracy(model, images, labels, device) -> float:
    return float((predict(model, images, device) == labels).mean())
