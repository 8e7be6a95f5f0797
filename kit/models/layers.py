"""Small building blocks shared by the autoencoders."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv_bn_act(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, inplace=True))


def up_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.LeakyReLU(0.2, inplace=True))


def working_size(image_size: int, n_down: int) -> int:
    """Inputs are resized to a multiple of 2**n_down (>= 2**n_down) so every pooling halves cleanly."""
    step = 2 ** n_down
    return max(step, ((image_size + step - 1) // step) * step)


def resize(x: torch.Tensor, size: int) -> torch.Tensor:
    if x.shape[-1] == size and x.shape[-2] == size:
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


class AutoEncoder(nn.Module):
    """Base: encode() is the bottleneck code, decode() returns images in [0, 1] at the input size."""

    is_autoencoder = True
    latent_dim: int
    image_size: int

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encode(x)
        return z, self.decode(z)
