"""Convolutional autoencoder with U-Net style skip connections.

Skips carry encoder feature maps straight to the decoder, so reconstruction is easy and sharp; the
clustering code is still only the bottleneck (``encode``). ``decode(z)`` alone (interpolation, sampling)
runs with zero skips, so its images are blurrier than ``forward`` reconstructions. ``skip_dropout``
drops whole skip tensors during training to make the bottleneck carry information.
"""
from __future__ import annotations

import torch
from torch import nn

from kit.models.layers import AutoEncoder, conv_bn_act, resize, working_size
from kit.models.registry import register_model


class SkipAutoEncoder(AutoEncoder):
    def __init__(self, in_channels: int = 1, image_size: int = 28, latent_dim: int = 128, width: int = 32,
                 depth: int = 3, skip_dropout: float = 0.5, image_range=(0, 1)) -> None:
        super().__init__(image_range)
        self.image_size, self.work, self.latent_dim, self.skip_dropout = image_size, working_size(image_size, depth), latent_dim, skip_dropout
        chans = [width * 2 ** i for i in range(depth)]
        self.downs = nn.ModuleList()
        cin = in_channels
        for c in chans:
            self.downs.append(conv_bn_act(cin, c))
            cin = c
        self.pool = nn.MaxPool2d(2)
        g = self.work // 2 ** depth
        self.grid = (chans[-1], g, g)
        self.to_latent = nn.Linear(chans[-1] * g * g, latent_dim)
        self.from_latent = nn.Sequential(nn.Linear(latent_dim, chans[-1] * g * g), nn.LeakyReLU(0.2))
        self.ups = nn.ModuleList()
        self.fuse = nn.ModuleList()
        rev = chans[::-1]
        for i, c in enumerate(rev):
            cout = rev[i + 1] if i + 1 < len(rev) else chans[0]
            self.ups.append(nn.ConvTranspose2d(c, c, 2, stride=2))
            self.fuse.append(conv_bn_act(2 * c, cout))
        self.out = nn.Conv2d(chans[0], in_channels, 3, padding=1)
        self._skips: list[torch.Tensor] | None = None

    def _encode(self, x):
        h, skips = resize(self._net_in(x), self.work), []
        for down in self.downs:
            h = down(h)
            skips.append(h)
            h = self.pool(h)
        return self.to_latent(h.flatten(1)), skips

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self._encode(x)[0]

    def _decode(self, z, skips):
        h = self.from_latent(z).view(-1, *self.grid)
        for up, fuse, skip in zip(self.ups, self.fuse, reversed(skips)):
            h = up(h)
            if skip is None:
                skip = torch.zeros_like(h)
            h = fuse(torch.cat([h, skip], 1))
        return self._net_out(resize(self.out(h), self.image_size))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self._decode(z, [None] * len(self.downs))

    def forward(self, x):
        z, skips = self._encode(x)
        if self.training and self.skip_dropout > 0:
            skips = [None if torch.rand(()) < self.skip_dropout else s for s in skips]
        return z, self._decode(z, skips)


@register_model("skip_ae")
def skip_ae(in_channels=1, image_size=28, latent_dim: int = 128, width: int = 32, skip_dropout: float = 0.5,
            image_range=(0, 1)) -> SkipAutoEncoder:
    return SkipAutoEncoder(in_channels, image_size, latent_dim, width, skip_dropout=skip_dropout,
                           image_range=image_range)
