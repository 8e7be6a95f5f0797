"""Convolutional autoencoders: Conv-BN-LeakyReLU-MaxPool encoders with ConvTranspose decoders."""
from __future__ import annotations

import torch
from torch import nn

from kit.errors import ConfigError
from kit.models.layers import AutoEncoder, conv_bn_act, resize, up_block, working_size
from kit.models.registry import register_model


class ConvAutoEncoder(AutoEncoder):
    """``depth`` Conv-BN-LeakyReLU-MaxPool stages. With ``latent_dim=None`` the code is the flattened last
    feature map (1024-d for depth 4 on 32x32); otherwise a linear layer maps it to ``latent_dim``."""

    def __init__(self, in_channels: int = 1, image_size: int = 28, depth: int = 4, width: int = 32,
                 latent_dim: int | None = None, image_range=(0, 1)) -> None:
        super().__init__(image_range)
        self.image_size, self.work = image_size, working_size(image_size, depth)
        chans = [min(width * 2 ** i, 512) for i in range(depth)]
        layers, cin = [], in_channels
        for c in chans:
            layers += [conv_bn_act(cin, c), nn.MaxPool2d(2)]
            cin = c
        self.encoder = nn.Sequential(*layers)
        self.grid = (chans[-1], self.work // 2 ** depth, self.work // 2 ** depth)
        flat = chans[-1] * self.grid[1] * self.grid[2]
        self.latent_dim = int(latent_dim or flat)
        if not 1 <= self.latent_dim <= 4096:
            hint = "" if latent_dim else f" (the flattened code is {flat}-d at depth {depth}: set latent_dim or depth)"
            raise ConfigError(f"latent_dim must be in 1..4096, got {self.latent_dim}{hint}")
        self.to_latent = nn.Identity() if self.latent_dim == flat else nn.Linear(flat, self.latent_dim)
        self.from_latent = nn.Identity() if self.latent_dim == flat else nn.Sequential(nn.Linear(self.latent_dim, flat), nn.LeakyReLU(0.2))
        ups, rev = [], chans[::-1] + [chans[0]]
        for a, b in zip(rev[:-1], rev[1:]):
            ups.append(up_block(a, b))
        self.decoder = nn.Sequential(*ups, nn.Conv2d(chans[0], in_channels, 3, padding=1))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_latent(self.encoder(resize(self._net_in(x), self.work)).flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h = self.from_latent(z).view(-1, *self.grid)
        return self._net_out(resize(self.decoder(h), self.image_size))


# Conv blocks a registered factory accepts: at least two poolings (else the flat code is huge), at most six
# (a 28px image is already resized up to 64px working size there).
DEPTHS = range(2, 7)


def _check_depth(name: str, depth: int) -> int:
    if isinstance(depth, bool) or depth not in DEPTHS:
        raise ConfigError(f"{name}: depth (conv blocks) must be {DEPTHS.start}..{DEPTHS.stop - 1}, got {depth!r}")
    return depth


@register_model("conv_ae4")
def conv_ae4(in_channels=1, image_size=28, latent_dim: int | None = None, width: int = 32,
             depth: int = 4, image_range=(0, 1)) -> ConvAutoEncoder:
    """``depth`` overrides the number of conv blocks (the name keeps the default)."""
    return ConvAutoEncoder(in_channels, image_size, depth=_check_depth("conv_ae4", depth), width=width,
                           latent_dim=latent_dim, image_range=image_range)


@register_model("conv_ae5")
def conv_ae5(in_channels=1, image_size=28, latent_dim: int = 256, width: int = 32, depth: int = 5,
             image_range=(0, 1)) -> ConvAutoEncoder:
    return ConvAutoEncoder(in_channels, image_size, depth=_check_depth("conv_ae5", depth), width=width,
                           latent_dim=latent_dim, image_range=image_range)
