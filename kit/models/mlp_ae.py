"""Fully connected autoencoder: the quickest baseline, fine for 8x8 digits and 28x28 gray images."""
from __future__ import annotations

import torch
from torch import nn

from kit.models.layers import AutoEncoder
from kit.models.registry import register_model


class MLPAutoEncoder(AutoEncoder):
    def __init__(self, in_channels: int = 1, image_size: int = 28, latent_dim: int = 32, hidden: tuple = (512, 256)) -> None:
        super().__init__()
        self.image_size, self.in_channels, self.latent_dim = image_size, in_channels, latent_dim
        dims = [in_channels * image_size * image_size, *hidden]
        enc = []
        for a, b in zip(dims[:-1], dims[1:]):
            enc += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.LeakyReLU(0.2)]
        self.encoder = nn.Sequential(*enc, nn.Linear(dims[-1], latent_dim))
        rdims = [latent_dim, *hidden[::-1]]
        dec = []
        for a, b in zip(rdims[:-1], rdims[1:]):
            dec += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.LeakyReLU(0.2)]
        self.decoder = nn.Sequential(*dec, nn.Linear(rdims[-1], dims[0]))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z)).view(-1, self.in_channels, self.image_size, self.image_size)


@register_model("mlp_ae")
def mlp_ae(in_channels=1, image_size=28, latent_dim: int = 32, hidden: list | None = None) -> MLPAutoEncoder:
    return MLPAutoEncoder(in_channels, image_size, latent_dim, tuple(hidden or (512, 256)))
