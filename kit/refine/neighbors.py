"""The k nearest neighbours SCAN trains on: mined in a model's feature space or in a descriptor's."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from kit.errors import ConfigError
from kit.models import load_model
from kit.refine.model import checked_model_dir, encoder_of
from kit.train.inference import batched
from kit.train.loop import pick_device

NEIGHBOR_FEATURES = ("model", "pixels", "dsift")


def mine_neighbors(model_dir: str | Path | None, images: np.ndarray, k: int = 20, device: str = "auto",
                   reduce_steps: list[dict] | None = None, seed: int = 0, features: str = "model") -> np.ndarray:
    """Indices (N, k) of each image's k nearest neighbours (cosine) in the model's feature space (``features``
    model) or a descriptor's (pixels, dsift), or in that space after ``reduce_steps`` (e.g. [{method: umap,
    n_components: 10}]: UMAP's neighbours are often purer)."""
    if k >= len(images):
        raise ConfigError(f"refine.k={k} must be smaller than the number of images ({len(images)})")
    if features != "model":
        return neighbors_of(describe(features, images), k, reduce_steps, seed)
    encoder = encoder_of(load_model(checked_model_dir(model_dir), device="cpu"))
    dev = pick_device(device)
    return neighbors_of(batched(encoder.to(dev).eval().encode, images, dev), k, reduce_steps, seed)


def describe(features: str, images: np.ndarray) -> np.ndarray:
    """A descriptor's features (pixels, dsift) of every image."""
    if features not in NEIGHBOR_FEATURES:
        raise ConfigError(f"refine.neighbor_features must be one of {NEIGHBOR_FEATURES}, got {features!r}")
    from kit.features.descriptors import describe as describe_images

    return describe_images(features, images)


def neighbors_of(feats: np.ndarray, k: int, reduce_steps: list[dict] | None, seed: int) -> np.ndarray:
    """k nearest neighbours by cosine, or by l2 after the reduction (its embedding's scale is what counts)."""
    from kit.features.neighbors import knn

    if reduce_steps:
        from kit.reduce import reduce

        feats = reduce(feats, reduce_steps, seed=seed)
    return knn(feats, k, metric="l2" if reduce_steps else "cosine")[0]
