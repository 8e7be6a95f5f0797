"""Encoder-only backbones for contrastive learning: CIFAR-style ResNet-18."""
from __future__ import annotations

import torch
import torchvision
from torch import nn

from kit.models.layers import resize
from kit.models.registry import register_model


class CifarResNet18(nn.Module):
    """torchvision ResNet-18 with a 3x3 stride-1 stem and no max-pool (the usual SimCLR-on-CIFAR variant)."""

    is_autoencoder = False

    def __init__(self, in_channels: int = 3, image_size: int = 32, latent_dim: int = 512) -> None:
        super().__init__()
        net = torchvision.models.resnet18(weights=None)
        net.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
        net.maxpool = nn.Identity()
        net.fc = nn.Identity() if latent_dim == 512 else nn.Linear(512, latent_dim)
        self.net, self.image_size, self.latent_dim = net, image_size, latent_dim
        self.work = max(image_size, 16)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(resize(x, self.work))

    def forward(self, x):
        return self.encode(x), None


@register_model("cifar_resnet18")
def cifar_resnet18(in_channels=3, image_size=32, latent_dim: int = 512) -> CifarResNet18:
    return CifarResNet18(in_channels, image_size, latent_dim)
