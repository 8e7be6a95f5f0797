"""Original vs reconstructed images, and decoded interpolations between two latent codes.

Reconstructions go through the model's forward (eval mode), not decode(encode(x)): for skip_ae the forward
passes the encoder's feature maps through the skip connections, and that is the reconstruction it was trained
on; decode alone runs with zero skips. Interpolation has only codes to decode, so it uses decode.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from kit.report.figure import save_figure


def _to_tensor(images: np.ndarray) -> torch.Tensor:
    from kit.train.loop import to_tensor

    return to_tensor(images)


def _show(ax, img: torch.Tensor) -> None:
    """img: C,H,W float in [0, 1] (clamped: a decoder may overshoot slightly)."""
    a = img.clamp(0, 1).permute(1, 2, 0).numpy()
    if a.shape[-1] == 1:
        ax.imshow(a[..., 0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(a)
    ax.axis("off")


@torch.no_grad()
def reconstruct(model, x: torch.Tensor) -> torch.Tensor:
    """The model's own reconstruction: forward in eval mode; autoencoders return (z, x_hat)."""
    model.eval()
    out = model(x)
    return out[1] if isinstance(out, (tuple, list)) else out


@torch.no_grad()
def reconstruction_figure(model, images: np.ndarray, path, n: int = 12) -> str:
    n = min(n, len(images))
    x = _to_tensor(images[:n])
    x_hat = reconstruct(model, x)
    per_image = ((x_hat - x) ** 2).flatten(1).mean(1)
    fig, axes = plt.subplots(2, n, figsize=(n * 1.1, 2.7), squeeze=False)
    for i in range(n):
        _show(axes[0, i], x[i])
        _show(axes[1, i], x_hat[i])
        axes[1, i].set_title(f"{per_image[i]:.3f}", fontsize=7, y=-0.22)
    axes[0, 0].set_title("original", loc="left", fontsize=9)
    axes[1, 0].text(0, 1.04, "reconstructed", transform=axes[1, 0].transAxes, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)
    return (f"Top: the first {n} competition images; bottom: their reconstructions (the model's forward pass, "
            f"with skip connections where it has them), per-image MSE below "
            f"(mean {float(per_image.mean()):.4f}).")


def pick_pair(labels: np.ndarray | None) -> tuple[int, int]:
    """Image 0 and the first image of another class (more telling than two of the same class)."""
    if labels is not None and labels[0] >= 0:
        other = np.flatnonzero((labels >= 0) & (labels != labels[0]))
        if len(other):
            return 0, int(other[0])
    return 0, 1


@torch.no_grad()
def interpolate(model, x: torch.Tensor, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(decode((1 - t) z_A + t z_B) for ``steps`` t evenly in [0, 1], the codes z) of the two images x[0], x[1]."""
    model.eval()
    z = model.encode(x[:2])
    t = torch.linspace(0, 1, steps).view(-1, *([1] * (z.dim() - 1)))
    return model.decode((1 - t) * z[0] + t * z[1]), z


@torch.no_grad()
def interpolation_figure(model, pair: np.ndarray, path, steps: int = 10) -> str:
    """pair: two uint8 images; decode (1 - t) z0 + t z1 for t in [0, 1]."""
    x = _to_tensor(pair[:2])
    decoded, _ = interpolate(model, x, steps)
    t = torch.linspace(0, 1, steps)
    fig, axes = plt.subplots(1, steps + 2, figsize=((steps + 2) * 1.1, 1.55))
    _show(axes[0], x[0])
    axes[0].set_title("image A", fontsize=8)
    for i in range(steps):
        _show(axes[i + 1], decoded[i])
        axes[i + 1].set_title(f"t={float(t[i]):.2f}", fontsize=7)
    _show(axes[-1], x[1])
    axes[-1].set_title("image B", fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
    return (f"Latent interpolation: the outer images are real; the {steps} between decode (1-t)·z_A + t·z_B "
            "(t=0 and t=1 are the plain reconstructions).")
