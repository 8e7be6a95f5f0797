"""Augmentation presets (none / light / heavy / strong) on two back ends; docs/augmentation.md compares them.

- ``albumentations``: per image on the CPU, inside the batch loader;
- ``tensor``: whole batches with kornia.augmentation on the tensor's device (fast on a GPU, no per-image Python).

Both build the same recipe from :func:`crop_scale` and the tables below, so a preset means the same thing on
either back end; where the libraries differ the doc says how.
"""
from __future__ import annotations

import os
from functools import lru_cache

import numpy as np
import torch

from kit.errors import ConfigError

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
PRESETS = ("none", "light", "heavy", "strong")
SMALL = 32  # below this side length (28 px MNIST-like images) the heavy crop keeps at least 20% of the area
JITTER = dict(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)  # SimCLR's colour distortion, strength 1
GRAY_P, JITTER_P = 0.2, 0.8
ERASE_SCALE = (0.02, 0.25)  # FixMatch cutout: a box of up to a quarter of the image, filled with mid grey


def check_preset(name: str) -> None:
    if name not in PRESETS:
        raise ConfigError(f"augment must be one of {PRESETS}, got {name!r}")


def crop_scale(preset: str, height: int, width: int) -> tuple[float, float]:
    """RandomResizedCrop area range: SimCLR's 0.08-1 only when the image is big enough to survive it."""
    if preset == "heavy":
        return (0.08, 1.0) if min(height, width) >= SMALL else (0.2, 1.0)
    return (0.6, 1.0)  # light and strong: mild zoom, the object stays in view


def _jitter(channels: int) -> dict:
    """Saturation and hue mean nothing on one channel: grey images get brightness and contrast only."""
    return JITTER if channels == 3 else dict(JITTER, saturation=0.0, hue=0.0)


# ---------------------------------------------------------------- albumentations (CPU, uint8 HWC)

def albumentations_pipeline(preset: str, height: int, width: int, channels: int):
    """An albumentations Compose for uint8 HWC images (gray-safe: colour ops only for RGB)."""
    import albumentations as A

    check_preset(preset)
    if preset == "none":
        return None
    ops = [A.RandomResizedCrop(size=(height, width), scale=crop_scale(preset, height, width), p=1.0),
           A.HorizontalFlip(p=0.5)]
    if preset == "heavy":
        ops.append(A.ColorJitter(**_jitter(channels), p=JITTER_P))
        if channels == 3:
            ops.append(A.ToGray(num_output_channels=3, p=GRAY_P))
    elif preset == "strong":
        ops += [A.Affine(rotate=(-30, 30), translate_percent=(-0.1, 0.1), shear=(-15, 15), p=0.5),
                A.ColorJitter(**_jitter(channels), p=JITTER_P),
                A.Equalize(p=0.2), A.Posterize(num_bits=(4, 8), p=0.2), A.Solarize(threshold_range=(0.4, 0.6), p=0.2),
                A.Sharpen(p=0.2), A.AutoContrast(p=0.2),
                A.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(0.14, 0.5), hole_width_range=(0.14, 0.5),
                                fill=128, p=1.0)]
    return A.Compose(ops)


def apply_albumentations(pipeline, images: np.ndarray) -> np.ndarray:
    if pipeline is None:
        return images
    out = np.empty_like(images)
    for i, img in enumerate(images):
        res = pipeline(image=img)["image"]
        out[i] = res.reshape(img.shape)
    return out


# ---------------------------------------------------------------- kornia (any device, float NCHW in [0, 1])

@lru_cache(maxsize=32)
def kornia_pipeline(preset: str, height: int, width: int, channels: int):
    """The kornia AugmentationSequential of a preset (None for "none"); every draw is per sample.

    kornia's RandAugment picks its operations once per *batch*, so "strong" is an explicit composition of the
    RandAugment operations, each applied per image with its own probability, plus RandomErasing (cutout).
    The modules stay on the CPU: kornia then samples parameters with the CPU RNG wherever the images are.
    """
    import kornia.augmentation as K

    check_preset(preset)
    if preset == "none":
        return None
    ops = [K.RandomResizedCrop((height, width), scale=crop_scale(preset, height, width)), K.RandomHorizontalFlip(p=0.5)]
    if preset == "heavy":
        ops.append(K.ColorJitter(**_jitter(channels), p=JITTER_P))
        if channels == 3:
            ops.append(K.RandomGrayscale(p=GRAY_P))
    elif preset == "strong":
        ops += [K.RandomAffine(degrees=30, translate=(0.1, 0.1), shear=15, padding_mode="zeros", p=0.5),
                K.ColorJitter(**_jitter(channels), p=JITTER_P),
                K.RandomEqualize(p=0.2), K.RandomPosterize(bits=(4, 8), p=0.2),
                K.RandomSolarize(thresholds=0.1, additions=0.0, p=0.2), K.RandomSharpness(sharpness=0.5, p=0.2),
                K.RandomAutoContrast(p=0.2), K.RandomErasing(scale=ERASE_SCALE, value=0.5, p=1.0)]
    return K.AugmentationSequential(*ops)


def tensor_augment(x: torch.Tensor, preset: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """Augment float N,C,H,W in [0, 1] batch-wise on its own device with kornia.

    kornia draws from the global torch RNG. To make ``generator`` the only source of randomness, one 63-bit
    seed is drawn from it per call (so successive calls, e.g. two SimCLR views, differ) and the global CPU
    (and CUDA) RNG is seeded with it inside ``torch.random.fork_rng``, which restores the global state after.
    Same generator state -> identical output on the same device; without a generator the global RNG is used.
    """
    check_preset(preset)
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ConfigError(f"augment needs N,C,H,W images with 1 or 3 channels, got shape {tuple(x.shape)}")
    if preset == "none":
        return x
    pipe = kornia_pipeline(preset, x.shape[2], x.shape[3], x.shape[1])
    dtype = x.dtype
    x = x.float()  # kornia's colour ops are written for float32
    if generator is None:
        return pipe(x).clamp_(0, 1).to(dtype)
    seed = int(torch.randint(0, 2**63 - 1, (1,), generator=generator))
    cuda = [x.device.index if x.device.index is not None else torch.cuda.current_device()] if x.is_cuda else []
    with torch.random.fork_rng(devices=cuda, device_type="cuda"):
        torch.default_generator.manual_seed(seed)
        if cuda:
            with torch.cuda.device(cuda[0]):
                torch.cuda.manual_seed(seed)
        out = pipe(x)
    return out.clamp_(0, 1).to(dtype)
