"""Model registry in the style of timm: ``@register_model`` + ``create_model(name, ...)``."""
from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from kit.errors import ConfigError, DataError
from kit.io import atomic_path, write_json
from kit.registry import Registry

MODELS = Registry("model")
register_model = MODELS.register


def list_models() -> list[str]:
    return MODELS.names + ["timm:<name>"]


def create_model(name: str, in_channels: int = 1, image_size: int = 28, **kwargs) -> nn.Module:
    """Build a registered model; ``timm:<arch>`` builds a timm backbone (no downloads)."""
    if name.startswith("timm:"):
        from kit.models.timm_backbone import TimmEncoder

        return TimmEncoder(name[5:], in_channels=in_channels, image_size=image_size, **kwargs)
    factory = MODELS.get(name)  # did-you-mean error for unknown names
    try:
        return factory(in_channels=in_channels, image_size=image_size, **kwargs)
    except TypeError as e:
        raise ConfigError(f"model {name}: {e}") from None


def save_model(model: nn.Module, model_dir: str | Path, name: str, kwargs: dict, in_channels: int, image_size: int,
               extra: dict | None = None) -> Path:
    return write_model_folder(model, model_dir, {"name": name, "kwargs": kwargs, "in_channels": in_channels,
                                                 "image_size": image_size, **(extra or {})})


def write_model_folder(model: nn.Module, model_dir: str | Path, meta: dict) -> Path:
    """model.pt (state dict, atomic) then model.json: what ``load_model`` reads back."""
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(model_dir / "model.pt") as tmp:
        torch.save(model.state_dict(), tmp)
    write_json(model_dir / "model.json", meta)
    return model_dir


def load_model(model_dir: str | Path, device: str = "cpu") -> nn.Module:
    """Rebuild from model.json and load model.pt; a finetuned folder gives encoder + classifier head."""
    model_dir = Path(model_dir)
    if not (model_dir / "model.json").exists():
        raise DataError(f"{model_dir}: not a model folder (no model.json)")
    meta = json.loads((model_dir / "model.json").read_text())
    model = create_model(meta["name"], meta["in_channels"], meta["image_size"], **meta["kwargs"])
    if meta.get("head"):
        from kit.models.classifier import Classifier

        model = Classifier(model, meta["head"]["n_classes"], meta["head"].get("hidden", 0))
    state = torch.load(model_dir / "model.pt", map_location=device, weights_only=True)
    model.load_state_dict(state)
    return model.to(device).eval()
