"""Hand-made image descriptors that need no training: where a fresh network gets its first neighbours.

Dense SIFT (kornia) histograms gradient orientations over a grid of cells, so it tolerates shifts of a few pixels
and changes of contrast that move raw pixels far apart: its nearest neighbours share the image's class more often
than raw pixels' or an autoencoder latent's (measured in bench/attempts.md).
"""
from __future__ import annotations

import numpy as np
import torch

from kit.errors import ConfigError

DESCRIPTORS = ("pixels", "dsift")


def dsift_geometry(height: int, width: int) -> tuple[int, int]:
    """(spatial_bin_size, stride) so that 4 x 4 cells cover about 3/7 of the image and 5 x 5 positions fit, whatever
    the image size (5 x 5 x 128 numbers per image): 28 px -> (3, 4), 32 px -> (3, 5), 8 px -> (1, 1)."""
    side = min(height, width)
    return max(1, round(3 * side / 28)), max(1, round(side / 7))


@torch.no_grad()
def dense_sift(images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """uint8 N,H,W,C images -> float32 (N, D) dense RootSIFT descriptors of their grey version."""
    import kornia
    import kornia.feature as KF

    from kit.train.loop import to_tensor

    if images.ndim != 4:
        raise ConfigError(f"dense SIFT needs N,H,W,C images, got shape {images.shape}")
    size, stride = dsift_geometry(*images.shape[1:3])
    if 4 * size > min(images.shape[1:3]):
        raise ConfigError(f"dense SIFT needs images of at least 4 x 4 pixels, got {images.shape[1:3]}")
    sift = KF.DenseSIFTDescriptor(num_ang_bins=8, num_spatial_bins=4, spatial_bin_size=size, stride=stride, padding=0)
    out = []
    for start in range(0, len(images), batch_size):
        x = to_tensor(images[start:start + batch_size])
        if x.shape[1] == 3:
            x = kornia.color.rgb_to_grayscale(x)
        elif x.shape[1] != 1:
            x = x.mean(1, keepdim=True)
        out.append(sift(x).flatten(1).numpy())
    return np.concatenate(out).astype(np.float32)


def describe(name: str, images: np.ndarray) -> np.ndarray:
    """Features named by ``name``: ``pixels`` (flattened, / 255) or ``dsift`` (dense SIFT)."""
    if name == "pixels":
        return images.reshape(len(images), -1).astype(np.float32) / 255.0
    if name == "dsift":
        return dense_sift(images)
    raise ConfigError(f"descriptor must be one of {DESCRIPTORS}, got {name!r}")
