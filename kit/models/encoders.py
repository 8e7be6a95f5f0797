"""Encoder-only backbones: a CIFAR-style ResNet-18 for contrastive learning, a small CNN for CPU budgets."""
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


class SmallCNN(nn.Module):
    """Three conv-BN-ReLU blocks (width, 2x, 4x channels; two 2x2 max-pools) and global average pooling.

    Small enough to train from scratch on a CPU (its speed: bench/throughput.md): the network that `refine`
    trains on the clustering objective when there is no time for a pretext task.
    """

    is_autoencoder = False

    def __init__(self, in_channels: int = 1, image_size: int = 28, width: int = 32) -> None:
        super().__init__()
        layers, c_in = [], in_channels
        for i, c in enumerate((width, 2 * width, 4 * width)):
            layers += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
            layers.append(nn.MaxPool2d(2) if i < 2 else nn.AdaptiveAvgPool2d(1))
            c_in = c
        self.net = nn.Sequential(*layers, nn.Flatten())
        self.image_size, self.latent_dim = image_size, 4 * width

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def forward(self, x):
        return self.encode(x), None


@register_model("small_cnn")
def small_cnn(in_channels=1, image_size=28, width: int = 32) -> SmallCNN:
    return SmallCNN(in_channels, image_size, width)
