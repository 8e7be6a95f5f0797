"""Pretraining: autoencoder (reconstruction / denoising, optional rotation loss) or SimCLR contrastive.

Writes a model folder (docs/formats.md): model.json, model.pt, checkpoints/last.pt (everything needed to resume:
model, heads, optimizer, scheduler, epoch, metrics, RNG and the options that shaped training, so a resume with other
options is refused), checkpoints/epoch_XXX.pt (model weights) every ``checkpoint_keep_every``-th epoch, and
metrics.csv.

On CUDA: bf16 autocast, channels_last, uint8 batches copied through pinned memory (non-blocking), noise and rotation
labels drawn on the GPU, loss sums kept on the GPU (one host read per epoch). Under DDP (torchrun) SimCLR's
BatchNorm becomes SyncBatchNorm (CUDA only: torch's SyncBatchNorm has no CPU kernel) and each rank draws its own
augmentation stream. On the CPU every random draw and sum is the one it always was (byte-identical runs).
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from kit.errors import ConfigError, DataError
from kit.io import write_csv
from kit.models import create_model, save_model
from kit.train import distributed, objectives
from kit.train.inference import batched
from kit.train.options import check_ranges
from kit.train.augment import albumentations_pipeline, apply_albumentations, check_preset, tensor_augment
from kit.train.loop import (autocast, batch_starts, fingerprint, keep_checkpoint, last_checkpoint, open_state,
                           pick_device, progress_bar, restore_state, resumable, save_checkpoint, save_state, seed_epoch,
                           to_tensor)

OBJECTIVES = ("reconstruction", "denoising", "simclr")


def pretrain(
    images: np.ndarray,
    out_dir: str | Path,
    *,
    model: str = "conv_ae4",
    model_kwargs: dict | None = None,
    objective: str = "reconstruction",
    rotation_beta: float = 0.0,
    noise_sigma: float = 0.1,
    temperature: float = 0.5,
    augment: str = "none",
    augment_backend: str = "auto",
    epochs: int = 10,
    batch_size: int = 256,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    seed: int = 0,
    device: str = "auto",
    val_images: np.ndarray | None = None,
    val_labels: np.ndarray | None = None,
    n_clusters: int = 0,
    resume: bool = False,
    progress: bool = True,
    checkpoint_keep_every: int = 0,
) -> Path:
    """Train ``model`` on uint8 NHWC ``images``; returns the model folder.

    ``checkpoint_keep_every``: keep checkpoints/epoch_XXX.pt of every N-th epoch beside last.pt (0, the default:
    last.pt only, so a long run does not fill the disk; 1: every epoch, for the checkpoint-curve report). Not a
    training option: a resume may change it.
    """
    out_dir = Path(out_dir)
    model_kwargs = dict(model_kwargs or {})
    check_ranges("pretrain", dict(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                                  temperature=temperature, noise_sigma=noise_sigma, rotation_beta=rotation_beta,
                                  n_clusters=n_clusters, model_kwargs=model_kwargs, seed=seed,
                                  checkpoint_keep_every=checkpoint_keep_every))
    if objective not in OBJECTIVES:
        raise ConfigError(f"pretrain.objective must be one of {OBJECTIVES}, got {objective!r}")
    check_preset(augment)
    if augment_backend not in ("auto", "albumentations", "tensor"):
        raise ConfigError(f"pretrain.augment_backend must be auto, albumentations or tensor, got {augment_backend!r}")
    if images.ndim != 4 or images.dtype != np.uint8 or len(images) < 2:
        raise DataError(f"pretrain needs uint8 N,H,W,C images (N >= 2), got {images.dtype} {images.shape}")
    n, h, w, c = images.shape
    if rotation_beta > 0 and h != w:
        raise ConfigError("pretrain.rotation_beta needs square images")
    dev = pick_device(device)
    backend = ("tensor" if dev.type == "cuda" else "albumentations") if augment_backend == "auto" else augment_backend
    if objective == "simclr" and augment == "none":
        augment = "heavy"  # two identical views teach nothing

    # what shapes training; epochs may grow on a resume (the cosine schedule stretches to the new total)
    shaping = dict(model=model, model_kwargs=model_kwargs, objective=objective, rotation_beta=rotation_beta,
                   noise_sigma=noise_sigma, temperature=temperature, augment=augment, augment_backend=augment_backend,
                   batch_size=batch_size, lr=lr, weight_decay=weight_decay, seed=seed, data=fingerprint(images))
    ck = open_state(last_checkpoint(out_dir), resume, torch.device("cpu"), "pretrain", shaping,
                    needs=("model", "heads", "optimizer", "scheduler"))
    torch.manual_seed(seed)
    net = create_model(model, c, h, **model_kwargs)
    if objective != "simclr" and not getattr(net, "is_autoencoder", False):
        raise ConfigError(f"model {model} has no decoder: use objective simclr, or an autoencoder for {objective}")
    with distributed.process_group(dev) as (rank, world, dev):  # destroyed at the end, error or not
        net.to(dev)
        if dev.type == "cuda":
            net = net.to(memory_format=torch.channels_last)
        loss_module = objectives.PretrainObjective(net, objective, rotation_beta, noise_sigma, temperature).to(dev)
        if world > 1 and objective == "simclr" and dev.type == "cuda":
            # per-rank BatchNorm statistics let SimCLR tell a rank's positives by their batch statistics; the
            # children are swapped in place (same Parameters), so net, heads and the optimizer below see them
            loss_module = torch.nn.SyncBatchNorm.convert_sync_batchnorm(loss_module)
        heads = loss_module.heads
        train_module = loss_module
        if world > 1:
            from torch.nn.parallel import DistributedDataParallel

            # SimCLR never uses an autoencoder's decoder: DDP must not wait for its gradients
            unused = objective == "simclr" and getattr(net, "is_autoencoder", False)
            train_module = DistributedDataParallel(loss_module, device_ids=[dev.index] if dev.type == "cuda" else None,
                                                   find_unused_parameters=unused)
        params = list(net.parameters()) + list(heads.parameters())
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
        # Closed-form cosine over the *current* ``epochs`` (a lambda is not saved in the scheduler state), so resuming
        # with more epochs stretches the schedule instead of cycling the LR back up as CosineAnnealingLR(T_max) would.
        def cosine(e: int) -> float:
            return 0.5 * (1 + math.cos(math.pi * min(e, epochs) / max(epochs, 1)))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, cosine)
        last = last_checkpoint(out_dir)
        start, rows = restore_state(ck, last, "pretrain", model=net, heads=heads, optimizer=opt, scheduler=sched)
        if ck is not None:  # the saved LR belongs to the old schedule (epochs may grow on a resume)
            for group, base in zip(opt.param_groups, sched.base_lrs):
                group["lr"] = base * cosine(sched.last_epoch)
        progress = progress and rank == 0
        pipeline = albumentations_pipeline(augment, h, w, c) if backend == "albumentations" else None

        def views(batch_u8: np.ndarray, gen) -> torch.Tensor:
            if backend == "albumentations":
                x = batch_to(apply_albumentations(pipeline, batch_u8), dev)
            else:
                x = tensor_augment(batch_to(batch_u8, dev), augment, gen)
            return x.contiguous(memory_format=torch.channels_last) if dev.type == "cuda" else x

        with progress_bar(progress) as bar, resumable("pretrain", last):
            task = bar.add_task(f"pretrain {model}", total=epochs, completed=start, info="")
            for epoch in range(start, epochs):
                t0 = time.perf_counter()
                gen = seed_epoch(seed, epoch)  # the permutation: the same on every rank (each takes its shard)
                # augmentation (and noise / rotation labels): rank 0 draws from the epoch's generator as a single
                # process does; other ranks from streams of their own
                aug = gen if rank == 0 else torch.Generator().manual_seed(
                    distributed.rank_seed(seed * 100_003 + epoch, rank))
                # noise and rotation labels: on the GPU from a CUDA generator (no host draw + copy per step)
                draw = (torch.Generator(device=dev).manual_seed(distributed.rank_seed(seed * 100_003 + epoch, rank))
                        if dev.type == "cuda" else aug)
                if pipeline is not None:  # albumentations keeps its own RNG: reseed it per epoch too
                    pipeline.set_random_seed(distributed.rank_seed(seed * 100_003 + epoch, rank))
                net.train()
                heads.train()
                order = torch.randperm(n, generator=gen).numpy()
                order = order[: len(order) - len(order) % world][rank::world]  # this rank's shard
                step = max(batch_size // world, 2)
                # float64 sums of each step's float32 loss x batch size, in step order: the very sums float()
                # per step gave, kept where the loss is (on CUDA no host sync per step), read once below
                sums = torch.zeros(2, dtype=torch.float64, device=dev if dev.type == "cuda" else "cpu")
                seen = 0
                for i in batch_starts(len(order), step):
                    idx = order[i:i + step]
                    batch = images[idx]
                    with autocast(dev):
                        if objective == "simclr":
                            loss, mse = train_module(views(batch, aug), views(batch, aug), generator=draw)
                        else:
                            loss, mse = train_module(views(batch, aug), generator=draw)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    sums[0] += loss.detach().to(sums.device, torch.float64) * len(idx)
                    if mse is not None:
                        sums[1] += mse.detach().to(sums.device, torch.float64) * len(idx)
                    seen += len(idx)
                total, mse_total = sums.tolist()  # the epoch's one host read
                total, mse_total = distributed.all_mean(total / seen, dev) * seen, distributed.all_mean(mse_total / seen, dev) * seen
                lr_used = opt.param_groups[0]["lr"]
                sched.step()
                row = {"epoch": epoch + 1, "train_loss": total / seen,
                       "train_mse": mse_total / seen if objective != "simclr" else float("nan"),
                       "val_acc": _val_acc(net, val_images, val_labels, n_clusters, dev, seed) if rank == 0 else float("nan"),
                       "lr": lr_used, "seconds": time.perf_counter() - t0}
                rows.append(row)
                bar.update(task, advance=1, info=f"loss {row['train_loss']:.4f}" + (
                    f" val_acc {row['val_acc']:.3f}" if row["val_acc"] == row["val_acc"] else ""))
                if rank != 0:
                    continue
                if keep_checkpoint(epoch + 1, checkpoint_keep_every):
                    save_checkpoint(out_dir / "checkpoints" / f"epoch_{epoch + 1:03d}.pt", model=net.state_dict(),
                                    epoch=epoch + 1)
                # the first one makes checkpoints/: a run that fails before it leaves no empty folder behind
                save_state(last, shaping, epoch=epoch + 1, metrics=rows, total=epochs, model=net.state_dict(),
                           heads=heads.state_dict(), optimizer=opt.state_dict(), scheduler=sched.state_dict())
                write_csv(out_dir / "metrics.csv", pd.DataFrame(rows))
        if rank == 0:
            save_model(net.cpu(), out_dir, model, model_kwargs, c, h,
                       extra={"objective": objective, "epochs": epochs, "augment": augment, "world_size": world})
        distributed.barrier()
    return out_dir


def batch_to(images: np.ndarray, dev: torch.device) -> torch.Tensor:
    """uint8 N,H,W,C -> float N,C,H,W in [0, 1] on ``dev``: ``to_tensor`` on the CPU (unchanged); on CUDA the uint8
    batch goes through pinned memory with a non-blocking copy (the host prepares the next batch meanwhile) and is
    converted to float on the GPU."""
    if dev.type != "cuda":
        return to_tensor(images, dev)
    x = torch.from_numpy(np.ascontiguousarray(images)).pin_memory().to(dev, non_blocking=True)
    return x.permute(0, 3, 1, 2).float().div_(255.0)


def encode_images(net, images: np.ndarray, device, batch_size: int = 512) -> np.ndarray:
    """Latent codes for uint8 NHWC images, in eval mode."""
    net.eval()
    return batched(net.encode, images, device, batch_size)


def _val_acc(net, val_images, val_labels, n_clusters, dev, seed) -> float:
    """Cheap progress signal: K-Means on (at most 2000) validation codes vs their labels."""
    if val_images is None or val_labels is None or len(val_labels) < 2:
        return float("nan")
    from sklearn.cluster import KMeans

    from kit.metrics import cluster_accuracy

    rng = np.random.default_rng(seed)
    idx = rng.choice(len(val_images), min(2000, len(val_images)), replace=False)
    z = encode_images(net, val_images[idx], dev)
    k = n_clusters or len(np.unique(val_labels))
    if len(idx) < k:
        return float("nan")
    pred = KMeans(k, n_init=3, random_state=seed).fit_predict(z)
    return cluster_accuracy(np.asarray(val_labels)[idx], pred)
