"""Any timm architecture as a kit encoder: random, pretrained from the hub (online), or from offline weights.

kit hands every model images in [0, 1]; a pretrained backbone also needs what it saw in training: its mean/std,
three channels and an input size near its own (CIFAR's 32 px is far below ImageNet's 224). Those come from
timm's ``resolve_model_data_config`` on the model's pretrained config; ``input_size`` overrides the size (smaller
is faster on a CPU). ``encode`` returns the pooled features (``forward_head(pre_logits=True)``).
"""
from __future__ import annotations

import logging

import torch
import torch.nn.functional as F
from torch import nn

from kit.errors import ConfigError

log = logging.getLogger("kit")


class TimmEncoder(nn.Module):
    is_autoencoder = False

    def __init__(self, arch: str, in_channels: int = 3, image_size: int = 32, weights: str | None = None,
                 pretrained: bool = False, input_size: int | None = None, latent_dim: int | None = None) -> None:
        super().__init__()
        import timm
        from timm.data import resolve_model_data_config

        from kit.models.weights import load_pretrained

        if not timm.is_model(arch):
            raise ConfigError(f"timm has no model {arch!r}")
        if latent_dim is not None:
            raise ConfigError(f"timm:{arch} gives its own pooled features; latent_dim would need a trained "
                              "projection: add a reduce step (e.g. pca) instead")
        if weights and pretrained:
            raise ConfigError("give pretrained: true (download through timm) or weights: FILE, not both")
        if input_size is not None and (isinstance(input_size, bool) or not isinstance(input_size, int)
                                       or not 16 <= input_size <= 1024):
            raise ConfigError(f"input_size must be an integer in [16, 1024], got {input_size!r}")
        if in_channels not in (1, 3):
            raise ConfigError(f"timm backbones take grey or RGB images, got {in_channels} channels")
        net = _create(arch, pretrained)
        self.loaded = load_pretrained(net, weights) if weights else ("timm hub" if pretrained else "random weights")
        if weights:
            log.info("timm:%s: %s", arch, self.loaded)
        net.reset_classifier(0)
        self.net = net
        cfg = resolve_model_data_config(net)
        self.register_buffer("mean", torch.tensor(cfg["mean"], dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(cfg["std"], dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.interpolation = "bicubic" if cfg.get("interpolation") == "bicubic" else "bilinear"
        self.image_size, self.in_channels = image_size, in_channels
        self.work = int(input_size or cfg["input_size"][-1])
        self.latent_dim = int(net.num_features)

    def preprocess(self, x: torch.Tensor) -> torch.Tensor:
        """[0, 1] images -> what the backbone was trained on: 3 channels, its input size, its mean/std."""
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if x.shape[-1] != self.work or x.shape[-2] != self.work:
            x = F.interpolate(x, size=(self.work, self.work), mode=self.interpolation, align_corners=False)
        return (x - self.mean) / self.std

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.forward_head(self.net.forward_features(self.preprocess(x)), pre_logits=True)

    def forward(self, x):
        return self.encode(x), None


def _create(arch: str, pretrained: bool) -> nn.Module:
    """timm model with its classifier (so a full checkpoint's keys line up); the hub only when asked."""
    import timm

    if not pretrained:
        return timm.create_model(arch, pretrained=False)
    hint = "give weights: a local file or a packaged name (e.g. efficientnet_lite0)"
    if not hub_reachable():  # fail in a second, not after a minute of download retries
        raise ConfigError(f"timm:{arch}: pretrained: true downloads from the Hugging Face hub, which this machine "
                          f"cannot reach (offline); {hint}")
    try:
        return timm.create_model(arch, pretrained=True)
    except Exception as e:  # noqa: BLE001  no such weights, hub errors of every kind
        from kit.models.registry import one_line

        reason = one_line(str(e)) or type(e).__name__
        raise ConfigError(f"timm:{arch}: could not get pretrained weights from the hub ({reason}); {hint}") from None


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the hub answers at all (HF_HUB_OFFLINE=1 means no without asking)."""
    import os
    import socket

    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    try:
        socket.create_connection(("huggingface.co", 443), timeout=timeout).close()
        return True
    except OSError:
        return False
