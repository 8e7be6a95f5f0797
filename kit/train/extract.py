"""Features for every image: a model's latent code or class logits, or raw pixels / dense SIFT (no training)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from kit.data.imageset import ImageSet
from kit.errors import ConfigError
from kit.features.files import save_features
from kit.train.inference import batched
from kit.train.loop import pick_device, progress_bar


TTA = ("none", "hflip")
BACKBONE_KEYS = ("weights", "pretrained", "input_size")  # options of a timm: backbone, not of a model folder


def extract_features(model: str | Path, images: ImageSet, out_path: str | Path, *, kind: str = "latent",
                     batch_size: int = 512, tta: str = "none", weights: str | None = None, pretrained: bool = False,
                     input_size: int | None = None, device: str = "auto", progress: bool = True) -> Path:
    """``model`` is a model folder, ``raw`` (pixels / 255, flattened), ``dsift`` (dense SIFT, kit.features.descriptors) or
    ``timm:<arch>`` (random, ``pretrained`` from the hub, or ``weights``: a file or packaged name; frozen).

    ``tta`` hflip: the mean of the outputs for the image and its mirror image (features or logits).
    The file records the digest of ``images`` (kit.features.files.DIGEST_KEY): what they were computed from."""
    check_extract_options(model, kind, tta, weights, pretrained, input_size)
    model = str(model)
    if model in ("raw", "dsift"):
        from kit.features.descriptors import describe

        return save_features(out_path, images.ids, describe("pixels" if model == "raw" else model, images.images),
                             images_digest=images.digest())
    dev = pick_device(device)
    if model.startswith("timm:"):
        from kit.models import create_model

        net = create_model(model, images.images.shape[-1], images.images.shape[1], weights=weights,
                           pretrained=pretrained, input_size=input_size).to(dev).eval()
    else:
        from kit.models import load_model

        net = load_model(model, device=str(dev))
    if kind == "logits" and not hasattr(net, "head"):
        raise ConfigError(f"{model}: extract kind 'logits' needs a finetuned model (with a classifier head)")
    fn = net if kind == "logits" else net.encode
    if tta == "hflip":
        fn = mirror_mean(fn)
    with progress_bar(progress) as bar:
        task = bar.add_task(f"extract {kind}" + (" (+ mirror)" if tta == "hflip" else ""), total=len(images), info="")
        feats = batched(fn, images.images, dev, batch_size, on_batch=lambda n: bar.update(task, advance=n))
    return save_features(out_path, images.ids, feats, images_digest=images.digest())


def mirror_mean(fn):
    """Horizontal-flip test-time augmentation: the image and its mirror image in one batch, outputs averaged."""
    def both(x):
        out = fn(torch.cat([x, x.flip(3)]))
        return (out[:len(x)] + out[len(x):]) / 2

    return both


def check_extract_options(model, kind: str = "latent", tta: str = "none", weights=None, pretrained: bool = False,
                          input_size=None) -> None:
    """What the extract section may say, checked at config load and again by the stage."""
    if kind not in ("latent", "logits"):
        raise ConfigError(f"extract.kind must be latent or logits, got {kind!r}")
    if tta not in TTA:
        raise ConfigError(f"extract.tta must be one of {', '.join(TTA)}, got {tta!r}")
    model = str(model)
    given = [k for k, v in zip(BACKBONE_KEYS, (weights, pretrained, input_size)) if v not in (None, False)]
    if not model.startswith("timm:"):
        if given:
            raise ConfigError(f"extract.{given[0]} is for timm:<arch> backbones; {model!r} is not one")
        return
    import timm

    if not timm.is_model(model[5:]):
        from kit.errors import did_you_mean

        raise ConfigError(f"extract.model: timm has no model {model[5:]!r}" + did_you_mean(model[5:], timm.list_models()))
    if weights is not None:
        from kit.models.weights import packaged_arch, resolve_weights

        if not isinstance(weights, str):
            raise ConfigError(f"extract.weights must be a file path or a packaged name, got {weights!r}")
        resolve_weights(weights)
        arch = packaged_arch(weights)
        if arch is not None and arch != model[5:]:
            raise ConfigError(f"extract.weights {weights} fit timm:{arch}, not {model}")
    if input_size is not None and (isinstance(input_size, bool) or not isinstance(input_size, int)
                                   or not 16 <= input_size <= 1024):
        raise ConfigError(f"extract.input_size must be an integer in [16, 1024], got {input_size!r}")


def reconstruction_errors(model, images: np.ndarray, batch_size: int = 512, device: str = "cpu") -> np.ndarray:
    """Per-image reconstruction MSE (anomaly score: out-of-distribution images reconstruct worse)."""
    if not getattr(model, "is_autoencoder", False):
        raise ConfigError("reconstruction errors need an autoencoder")
    model.eval()

    def mse(x):
        return ((model.decode(model.encode(x)) - x) ** 2).flatten(1).mean(1)

    return batched(mse, images, device, batch_size)
