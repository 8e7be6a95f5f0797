"""What refine trains on: a trained model folder's encoder, or a registered network built fresh."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from kit.errors import ConfigError
from kit.io import read_json
from kit.models import load_model
from kit.models.classifier import Classifier


def is_fresh(model: str | Path) -> bool:
    """A registered model name (trained from scratch here), not the path of a model folder."""
    name = str(model)
    return not Path(name).exists() and "/" not in name and "\\" not in name


def start_model(model: str | Path, model_kwargs: dict | None, images: np.ndarray
                ) -> tuple[torch.nn.Module, dict, bool]:
    """(encoder, model.json contents, fresh?): a trained model folder's encoder, or a registered model built new."""
    from kit.models import create_model
    from kit.models.registry import MODELS

    name = str(model)
    if is_fresh(name):
        if not name.startswith("timm:"):
            MODELS.get(name)  # neither a folder nor a registered model: a did-you-mean error
        kwargs = dict(model_kwargs or {})
        net = create_model(name, images.shape[-1], images.shape[1], **kwargs)
        meta = {"name": name, "kwargs": kwargs, "in_channels": int(images.shape[-1]), "image_size": int(images.shape[1])}
        return net, meta, True
    if model_kwargs:
        raise ConfigError("refine.model_kwargs only applies to a fresh model (a registered name), not a model folder")
    folder = checked_model_dir(model)
    return encoder_of(load_model(folder, device="cpu")), read_json(folder / "model.json"), False


def checked_model_dir(folder: str | Path) -> Path:
    """``folder`` when it holds a kit model; else one ConfigError that says what to give instead."""
    folder = Path(folder)
    if not (folder / "model.json").exists() or not (folder / "model.pt").exists():
        raise ConfigError(f"refine: {folder} is not a kit model folder (no model.json/model.pt); "
                          "give the output folder of kit pretrain or kit finetune, or a registered model name "
                          "to train from scratch (e.g. small_cnn)")
    return folder


def encoder_of(net):
    """The encoder of a pretrained model, or of a finetuned one (its head is replaced)."""
    return net.encoder if isinstance(net, Classifier) else net


def place(encoder: torch.nn.Module, dev: torch.device) -> torch.nn.Module:
    """``encoder`` on ``dev`` in channels_last: on CUDA as pretrain trains it (bf16 convolutions run fastest so),
    and on the CPU too, where oneDNN's NHWC convolutions run faster than NCHW ones (scripts/profile_refine.py)."""
    return encoder.to(dev).to(memory_format=torch.channels_last)
