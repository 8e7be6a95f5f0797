"""Fully connected autoencoder: the quickest baseline, fine for 8x8 digits and 28x28 gray images."""
from __future__ import annotations

import torch
from torch import nn

from kit.errors import ConfigError
from kit.models.layers import AutoEncoder
from kit.models.registry import register_model

# Hidden widths by depth: each layer halves the previous one. depth 2 is the historical default (512, 256).
WIDTHS = (512, 256, 128)
DEPTHS = (1, 2, 3)


class MLPAutoEncoder(AutoEncoder):
    def __init__(self, in_channels: int = 1, image_size: int = 28, latent_dim: int = 32, hidden: tuple = (512, 256),
                 image_range=(0, 1)) -> None:
        super().__init__(image_range)
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
        return self.encoder(self._net_in(x).flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self._net_out(self.decoder(z)).view(-1, self.in_channels, self.image_size, self.image_size)


def hidden_widths(hidden: list | None, depth: int | None) -> tuple:
    """``hidden`` as given, or the first ``depth`` of WIDTHS; depth is how a sweep varies capacity with one int."""
    if depth is not None and (isinstance(depth, bool) or depth not in DEPTHS):
        raise ConfigError(f"mlp_ae: depth must be one of {list(DEPTHS)}, got {depth!r}")
    if hidden:
        if depth is not None and len(hidden) != depth:
            raise ConfigError(f"mlp_ae: depth={depth} but hidden={list(hidden)} has {len(hidden)} layers; set one of them")
        return tuple(hidden)
    return WIDTHS[:2 if depth is None else depth]


@register_model("mlp_ae")
def mlp_ae(in_channels=1, image_size=28, latent_dim: int = 32, hidden: list | None = None,
           depth: int | None = None, image_range=(0, 1)) -> MLPAutoEncoder:
    return MLPAutoEncoder(in_channels, image_size, latent_dim, hidden_widths(hidden, depth), image_range)
