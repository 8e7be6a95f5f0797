"""Features for every image: a model's latent code or class logits, or raw pixels / dense SIFT (no training)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from kit.data.imageset import ImageSet
from kit.errors import ConfigError
from kit.features import save_features
from kit.train.inference import batched
from kit.train.loop import pick_device, progress_bar


def extract_features(model: str | Path, images: ImageSet, out_path: str | Path, *, kind: str = "latent",
                     batch_size: int = 512, device: str = "auto", progress: bool = True) -> Path:
    """``model`` is a model folder, ``raw`` (pixels / 255, flattened), ``dsift`` (dense SIFT, kit.descriptors) or
    ``timm:<arch>`` (untrained unless weights)."""
    if kind not in ("latent", "logits"):
        raise ConfigError(f"extract.kind must be latent or logits, got {kind!r}")
    model = str(model)
    if model in ("raw", "dsift"):
        from kit.descriptors import describe

        return save_features(out_path, images.ids, describe("pixels" if model == "raw" else model, images.images))
    dev = pick_device(device)
    if model.startswith("timm:"):
        from kit.models import create_model

        net = create_model(model, images.images.shape[-1], images.images.shape[1]).to(dev).eval()
    else:
        from kit.models import load_model

        net = load_model(model, device=str(dev))
    if kind == "logits" and not hasattr(net, "head"):
        raise ConfigError(f"{model}: extract kind 'logits' needs a finetuned model (with a classifier head)")
    fn = net if kind == "logits" else net.encode
    with progress_bar(progress) as bar:
        task = bar.add_task(f"extract {kind}", total=len(images), info="")
        feats = batched(fn, images.images, dev, batch_size, on_batch=lambda n: bar.update(task, advance=n))
    return save_features(out_path, images.ids, feats)


def reconstruction_errors(model, images: np.ndarray, batch_size: int = 512, device: str = "cpu") -> np.ndarray:
    """Per-image reconstruction MSE (anomaly score: out-of-distribution images reconstruct worse)."""
    if not getattr(model, "is_autoencoder", False):
        raise ConfigError("reconstruction errors need an autoencoder")
    model.eval()

    def mse(x):
        return ((model.decode(model.encode(x)) - x) ** 2).flatten(1).mean(1)

    return batched(mse, images, device, batch_size)
