"""Residual-block encoder with a PixelShuffle (sub-pixel convolution) decoder: no checkerboard artefacts."""
from __future__ import annotations

import torch
from torch import nn

from kit.models.layers import AutoEncoder, resize, working_size
from kit.models.registry import register_model


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.short = nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return torch.relu(self.body(x) + self.short(x))


class ResNetAutoEncoder(AutoEncoder):
    def __init__(self, in_channels: int = 1, image_size: int = 28, latent_dim: int = 128, width: int = 32, depth: int = 3,
                 image_range=(0, 1)) -> None:
        super().__init__(image_range)
        self.image_size, self.work, self.latent_dim = image_size, working_size(image_size, depth), latent_dim
        chans = [width * 2 ** i for i in range(depth)]
        blocks, cin = [nn.Conv2d(in_channels, chans[0], 3, 1, 1)], chans[0]
        for c in chans:
            blocks += [ResBlock(cin, c, stride=2), ResBlock(c, c)]
            cin = c
        self.encoder = nn.Sequential(*blocks)
        g = self.work // 2 ** depth
        self.grid = (chans[-1], g, g)
        self.to_latent = nn.Linear(chans[-1] * g * g, latent_dim)
        self.from_latent = nn.Sequential(nn.Linear(latent_dim, chans[-1] * g * g), nn.ReLU(inplace=True))
        ups, rev = [], chans[::-1]
        for i, c in enumerate(rev):
            cout = rev[i + 1] if i + 1 < len(rev) else chans[0]
            ups += [nn.Conv2d(c, cout * 4, 3, 1, 1), nn.PixelShuffle(2), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        self.decoder = nn.Sequential(*ups, nn.Conv2d(chans[0], in_channels, 3, 1, 1))

    def encode(self, x):
        return self.to_latent(self.encoder(resize(self._net_in(x), self.work)).flatten(1))

    def decode(self, z):
        return self._net_out(resize(self.decoder(self.from_latent(z).view(-1, *self.grid)), self.image_size))


@register_model("resnet_ae")
def resnet_ae(in_channels=1, image_size=28, latent_dim: int = 128, width: int = 32,
              image_range=(0, 1)) -> ResNetAutoEncoder:
    return ResNetAutoEncoder(in_channels, image_size, latent_dim, width, image_range=image_range)
