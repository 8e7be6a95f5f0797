"""Training objectives: reconstruction and denoising return (loss, recon_mse); rotation_loss and nt_xent return the
loss alone (pretrain tells them apart by objective)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from kit.errors import ConfigError
from kit.train import distributed


def reconstruction(model, x_in: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    z, x_hat = model(x_in)
    mse = F.mse_loss(x_hat.float(), target.float())
    return mse, mse.detach()


def denoising(model, x: torch.Tensor, sigma: float, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Reconstruct the clean image from a gaussian-noised copy."""
    if x.device.type == "cuda":  # drawn on the GPU (a CUDA generator, or the CUDA default one): no host copy
        noise = torch.randn(x.shape, generator=_on(generator, x.device), device=x.device, dtype=x.dtype)
    else:  # the CPU draw as always (byte-identical runs)
        noise = torch.randn(x.shape, generator=generator).to(x.device, x.dtype)
    return reconstruction(model, (x + sigma * noise).clamp(0, 1), x)


def _on(generator, device: torch.device):
    """``generator`` when it lives on ``device`` (pretrain passes a CUDA one on the GPU), else None: the device's
    default generator (a CPU generator cannot draw CUDA tensors)."""
    return generator if generator is not None and generator.device.type == device.type else None


def rotation_loss(model, head: nn.Module, x: torch.Tensor, generator=None) -> torch.Tensor:
    """Predict which of 0/90/180/270 degrees each image was rotated by (square images)."""
    if x.device.type == "cuda":
        k = torch.randint(0, 4, (x.shape[0],), generator=_on(generator, x.device), device=x.device)
    else:
        k = torch.randint(0, 4, (x.shape[0],), generator=generator).to(x.device)
    rotated = x.clone()
    for r in range(1, 4):  # one rot90 per angle on the whole sub-batch (no per-image Python loop on the GPU)
        sel = k == r
        rotated[sel] = torch.rot90(x[sel], r, dims=(2, 3))
    return F.cross_entropy(head(model.encode(rotated)).float(), k)


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5, gather: bool | None = None) -> torch.Tensor:
    """SimCLR's normalized-temperature cross-entropy: each view must pick its partner among 2N-1 others.

    Computed in float32 with autocast off: bf16 similarities divided by a small temperature lose the
    differences the softmax is about. Under DDP (``gather`` None or True with a process group) the candidates
    are the 2 x global batch rows of all ranks, gathered with gradients; this rank's 2 x local rows are the
    anchors, so the mean of the ranks' losses is the NT-Xent of the global batch. Ranks must pass equal sizes.
    """
    if not temperature > 0:
        raise ConfigError(f"pretrain.temperature must be > 0, got {temperature}")
    if z1.ndim != 2 or z1.shape != z2.shape:
        raise ConfigError(f"nt_xent needs two N,D projections of equal shape, got {tuple(z1.shape)} and {tuple(z2.shape)}")
    rank, world = distributed.rank_and_world() if gather is not False else (0, 1)
    with torch.autocast(z1.device.type, enabled=False):
        anchors = F.normalize(torch.cat([z1, z2]).float(), dim=1)  # rows 0..n-1 view 1, n..2n-1 view 2
        candidates = distributed.gather_with_grad(anchors) if world > 1 else anchors  # rank-major blocks of 2n
        m, half = anchors.shape[0], z1.shape[0]
        sim = anchors @ candidates.t() / temperature
        local = torch.arange(m, device=sim.device)
        self_mask = torch.zeros_like(sim, dtype=torch.bool)
        self_mask[local, rank * m + local] = True
        sim = sim.masked_fill(self_mask, float("-inf"))
        return F.cross_entropy(sim, rank * m + (local + half) % m)


def projection_head(latent_dim: int, hidden: int = 512, out: int = 128) -> nn.Module:
    return nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out))


class PretrainObjective(nn.Module):
    """Model + auxiliary heads whose forward returns (loss, recon_mse or None).

    One module for the whole loss so that DistributedDataParallel can wrap it and synchronise the
    gradients of the encoder, decoder and heads alike.
    """

    def __init__(self, net: nn.Module, objective: str, rotation_beta: float = 0.0, noise_sigma: float = 0.1,
                 temperature: float = 0.5) -> None:
        super().__init__()
        self.net, self.objective = net, objective
        self.rotation_beta, self.noise_sigma, self.temperature = rotation_beta, noise_sigma, temperature
        self.heads = nn.ModuleDict()
        if rotation_beta > 0:
            self.heads["rotation"] = nn.Linear(net.latent_dim, 4)
        if objective == "simclr":
            if not temperature > 0:
                raise ConfigError(f"pretrain.temperature must be > 0, got {temperature}")
            self.heads["projection"] = projection_head(net.latent_dim)

    def forward(self, x: torch.Tensor, x2: torch.Tensor | None = None, generator=None):
        if self.objective == "simclr":
            p = self.heads["projection"](self.net.encode(torch.cat([x, x2])))
            loss, mse = nt_xent(p[: len(x)], p[len(x):], self.temperature), None
        elif self.objective == "denoising":
            loss, mse = denoising(self.net, x, self.noise_sigma, generator)
        else:
            loss, mse = reconstruction(self.net, x, x)
        if self.rotation_beta > 0:
            loss = loss + self.rotation_beta * rotation_loss(self.net, self.heads["rotation"], x, generator)
        return loss, mse
