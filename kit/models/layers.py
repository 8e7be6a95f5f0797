"""Small building blocks shared by the autoencoders."""
from __future__ import annotations

from numbers import Real

import torch
import torch.nn.functional as F
from torch import nn

from kit.errors import ConfigError

# The value ranges a network may see its images in (kit itself always hands over and gets back [0, 1]).
IMAGE_RANGES = ([0, 1], [-1, 1])


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


def check_image_range(value) -> list[int]:
    """``image_range`` as a list [0, 1] or [-1, 1] (what model.json stores); anything else is a ConfigError."""
    if isinstance(value, (list, tuple)) and len(value) == 2 and not any(isinstance(v, bool) for v in value) \
            and all(isinstance(v, Real) for v in value):
        for allowed in IMAGE_RANGES:
            if [float(v) for v in value] == [float(a) for a in allowed]:
                return list(allowed)
    raise ConfigError(f"image_range must be [0, 1] or [-1, 1], got {value!r}")


class AutoEncoder(nn.Module):
    """Base: encode() is the bottleneck code, decode() returns images in [0, 1] at the input size.

    ``image_range`` is the range the network itself works in. [0, 1] (default): it sees x as given and
    its decoder ends in a sigmoid. [-1, 1]: it sees 2x - 1 and its decoder ends in a tanh, whose output t
    is mapped back to (t + 1) / 2; so encode() still takes and decode()/forward() still return images in
    [0, 1], and data, noise, losses and reports need not know. Subclasses call ``_net_in`` on the input
    before their first layer and ``_net_out`` on the decoder's raw output (instead of torch.sigmoid).
    The reconstruction MSE kit computes on [0, 1] is the [-1, 1] MSE / 4: with Adam a constant factor
    on the loss does not change training.
    """

    is_autoencoder = True
    latent_dim: int
    image_size: int

    def __init__(self, image_range=(0, 1)) -> None:
        super().__init__()
        self.image_range = check_image_range(image_range)

    @property
    def _signed(self) -> bool:
        return self.image_range[0] == -1

    def _net_in(self, x: torch.Tensor) -> torch.Tensor:
        """Image in [0, 1] -> what the first layer sees ([0, 1] unchanged, or 2x - 1)."""
        return x * 2 - 1 if self._signed else x

    def _net_out(self, raw: torch.Tensor) -> torch.Tensor:
        """Decoder pre-activation -> image in [0, 1]: sigmoid, or (tanh + 1) / 2."""
        return (torch.tanh(raw) + 1) / 2 if self._signed else torch.sigmoid(raw)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encode(x)
        return z, self.decode(z)
