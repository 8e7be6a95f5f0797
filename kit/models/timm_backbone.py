"""Any timm architecture as an encoder: ``timm.create_model(arch, num_classes=0)``, weights from a local file only."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from kit.errors import ConfigError, DataError
from kit.models.layers import resize


class TimmEncoder(nn.Module):
    is_autoencoder = False

    def __init__(self, arch: str, in_channels: int = 3, image_size: int = 32, weights: str | None = None,
                 input_size: int | None = None, latent_dim: int | None = None) -> None:
        super().__init__()
        import timm

        if not timm.is_model(arch):
            raise ConfigError(f"timm has no model {arch!r}")
        self.net = timm.create_model(arch, pretrained=False, num_classes=0, in_chans=in_channels)
        if weights:
            path = Path(weights)
            if not path.exists():
                raise DataError(f"{path}: weights file not found (kit never downloads weights)")
            state = torch.load(path, map_location="cpu", weights_only=True)
            missing, _ = self.net.load_state_dict(state, strict=False)
            if len(missing) > len(state):
                raise DataError(f"{path}: weights do not fit timm model {arch}")
        self.image_size, self.work = image_size, input_size or max(image_size, 32)
        self.latent_dim = int(self.net.num_features)

    def encode(self, x):
        return self.net(resize(x, self.work))

    def forward(self, x):
        return self.encode(x), None
