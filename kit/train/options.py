"""Range checks for training options, shared by config validation (at load) and the stage functions (CLI),
so ``epochs: -3`` fails before any work instead of writing an untrained model."""
from __future__ import annotations

from typing import Any

from kit.errors import ConfigError

# option -> (lowest allowed, strict?) ; ints and floats alike
LOWER_BOUNDS: dict[str, tuple[float, bool]] = {
    "epochs": (1, False),
    "batch_size": (1, False),
    "lr": (0, True),
    "encoder_lr": (0, True),
    "weight_decay": (0, False),
    "temperature": (0, True),
    "noise_sigma": (0, False),
    "rotation_beta": (0, False),
    "n_clusters": (0, False),
    "n_heads": (1, False),
    "k": (1, False),
    "entropy_weight": (0, False),
    "hidden": (0, False),
    "self_label_epochs": (0, False),
    "labeled_weight": (0, False),
    "recon_weight": (0, False),
}
FRACTIONS = ("val_fraction", "confidence", "threshold")
MODEL_DIMS = ("latent_dim", "depth", "width")


def check_ranges(where: str, options: dict[str, Any]) -> None:
    """Raise ConfigError naming ``where.key`` for the first value out of its range."""
    for key, value in options.items():
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if key in LOWER_BOUNDS:
            low, strict = LOWER_BOUNDS[key]
            if value < low or (strict and value == low):
                raise ConfigError(f"{where}.{key} must be {'>' if strict else '>='} {low:g}, got {value!r}")
        if key in FRACTIONS and not 0 <= value <= 1:
            raise ConfigError(f"{where}.{key} must be in [0, 1], got {value!r}")
    kwargs = options.get("model_kwargs")
    if isinstance(kwargs, dict):
        for key in MODEL_DIMS:
            value = kwargs.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"{where}.model_kwargs.{key} must be an integer >= 1, got {value!r}")
