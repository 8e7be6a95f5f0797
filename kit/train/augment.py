"""Augmentation presets (none / light / heavy), two equivalent back ends:

- ``albumentations``: per image on the CPU, inside the batch loader;
- ``tensor``: whole batches with torch ops on the training device (fast on a GPU, no per-image Python).
"""
from __future__ import annotations

import os

import numpy as np
import torch
import torch.nn.functional as F

from kit.errors import ConfigError

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
PRESETS = ("none", "light", "heavy")


def check_preset(name: str) -> None:
    if name not in PRESETS:
        raise ConfigError(f"augment must be one of {PRESETS}, got {name!r}")


def albumentations_pipeline(preset: str, height: int, width: int, channels: int):
    """An albumentations Compose for uint8 HWC images (gray-safe: colour ops only for RGB)."""
    import albumentations as A

    check_preset(preset)
    if preset == "none":
        return None
    if preset == "light":
        ops = [A.HorizontalFlip(p=0.5),
               A.Affine(scale=(0.9, 1.1), translate_percent=(-0.08, 0.08), rotate=(-10, 10), p=0.7)]
    else:
        ops = [A.RandomResizedCrop(size=(height, width), scale=(0.3, 1.0), p=1.0), A.HorizontalFlip(p=0.5)]
        if channels == 3:
            ops += [A.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, p=0.8), A.ToGray(p=0.2)]
        else:
            ops += [A.RandomBrightnessContrast(0.4, 0.4, p=0.8)]
    return A.Compose(ops)


def apply_albumentations(pipeline, images: np.ndarray) -> np.ndarray:
    if pipeline is None:
        return images
    out = np.empty_like(images)
    for i, img in enumerate(images):
        res = pipeline(image=img)["image"]
        out[i] = res.reshape(img.shape)
    return out


def tensor_augment(x: torch.Tensor, preset: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """Batched equivalent of the presets for float N,C,H,W in [0, 1] on any device."""
    check_preset(preset)
    if preset == "none":
        return x
    n, c = x.shape[:2]
    dev = x.device

    def rand(*shape):
        return torch.rand(*shape, generator=generator, device="cpu").to(dev)

    if preset == "light":
        scale = 0.9 + 0.2 * rand(n)
        angle = (rand(n) - 0.5) * (20 * np.pi / 180)
        shift = (rand(n, 2) - 0.5) * 0.16
    else:  # random resized crop: zoom into 30-100% of the area
        scale = 1.0 / torch.sqrt(0.3 + 0.7 * rand(n))
        angle = torch.zeros(n, device=dev)
        shift = (rand(n, 2) - 0.5) * 2 * (1 - 1 / scale)[:, None]
    flip = torch.where(rand(n) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin, shift[:, 0]], 1), torch.stack([sin * flip, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, padding_mode="zeros" if preset == "light" else "reflection", align_corners=False)
    if preset == "heavy":
        b = 1 + (rand(n, 1, 1, 1) - 0.5) * 0.8
        k = 1 + (rand(n, 1, 1, 1) - 0.5) * 0.8
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        jitter = rand(n, 1, 1, 1) < 0.8
        x = torch.where(jitter, ((x - mean) * k + mean) * b, x)
        if c == 3:
            gray = (x * torch.tensor([0.299, 0.587, 0.114], device=dev).view(1, 3, 1, 1)).sum(1, keepdim=True)
            x = torch.where(rand(n, 1, 1, 1) < 0.2, gray.expand_as(x), x)
    return x.clamp(0, 1)
