"""Original vs reconstructed images, and decoded interpolations between two latent codes."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from kit.train.loop import to_tensor


def _show(ax, img: np.ndarray) -> None:
    ax.imshow(img.squeeze(-1) if img.shape[-1] == 1 else img, cmap="gray" if img.shape[-1] == 1 else None, vmin=0, vmax=1)
    ax.axis("off")


@torch.no_grad()
def reconstruction_figure(model, images: np.ndarray, path, n: int = 12) -> str:
    x = to_tensor(images[:n])
    x_hat = model.decode(model.encode(x))
    mse = float(((x_hat - x) ** 2).mean())
    fig, axes = plt.subplots(2, n, figsize=(n * 1.1, 2.6))
    for i in range(n):
        _show(axes[0, i], x[i].permute(1, 2, 0).numpy())
        _show(axes[1, i], x_hat[i].permute(1, 2, 0).numpy())
    axes[0, 0].set_title("original", loc="left", fontsize=9)
    axes[1, 0].set_title("reconstructed", loc="left", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"Top: original images; bottom: their reconstructions (MSE {mse:.4f})."


@torch.no_grad()
def interpolation_figure(model, images: np.ndarray, path, steps: int = 10) -> str:
    x = to_tensor(images[:2])
    z = model.encode(x)
    t = torch.linspace(0, 1, steps)[:, None]
    decoded = model.decode((1 - t) * z[0] + t * z[1])
    fig, axes = plt.subplots(1, steps + 2, figsize=((steps + 2) * 1.1, 1.5))
    _show(axes[0], x[0].permute(1, 2, 0).numpy())
    for i in range(steps):
        _show(axes[i + 1], decoded[i].permute(1, 2, 0).numpy())
    _show(axes[-1], x[1].permute(1, 2, 0).numpy())
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"Latent interpolation: the two outer images are real, the {steps} between are decoded from linear mixes of their codes."
