"""Registry of ingestion formats: ``load_source({"kind": ..., **options})`` -> ImageSet."""
from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from kit.data.class_tree import load_class_tree
from kit.data.digits import load_digits
from kit.data.fashion_mnist import load_fashion_mnist
from kit.data.folder_csv import load_folder_csv
from kit.data.idx import load_idx
from kit.data.imageset import ImageSet
from kit.data.npy import load_npy
from kit.data.torchvision_source import load_torchvision
from kit.errors import ConfigError
from kit.paths import shared_data_dir

SOURCES: dict[str, Callable[..., ImageSet]] = {
    "npy": load_npy,
    "folder_csv": load_folder_csv,
    "class_tree": load_class_tree,
    "idx": load_idx,
    "fashion_mnist": load_fashion_mnist,
    "torchvision": load_torchvision,
    "digits": load_digits,
    "imageset": ImageSet.load,
}
COMMON = ("limit", "seed")


def load_source(spec: dict[str, Any]) -> ImageSet:
    """Options every kind accepts: ``limit`` (seeded, class-stratified subset of N images) and ``seed``.

    A string option starting with ``shared:`` names a path inside the shared data folder (``KIT_SHARED_DATA``).
    """
    spec = dict(spec)
    kind = spec.pop("kind", None)
    if kind not in SOURCES:
        raise ConfigError(f"source.kind must be one of {sorted(SOURCES)}, got {kind!r}")
    limit, seed = spec.pop("limit", None), int(spec.pop("seed", 0))
    spec = {k: _resolve_shared(v) for k, v in spec.items()}
    fn = SOURCES[kind]
    params = inspect.signature(fn).parameters
    unknown = [k for k in spec if k not in params]
    if unknown:
        valid = [p for p in params if p != "self"] + list(COMMON)
        raise ConfigError(f"source {kind}: unknown option(s) {unknown} (valid: {valid})")
    data = fn(**spec)
    return subsample(data, limit, seed) if limit else data


def _resolve_shared(value: Any) -> Any:
    """"shared:cifar10" -> <shared data dir>/cifar10, so configs work from any checkout location."""
    if isinstance(value, str) and value.startswith("shared:"):
        return str(shared_data_dir() / value[len("shared:"):])
    return value


def subsample(data: ImageSet, n: int, seed: int = 0) -> ImageSet:
    """A seeded subset of n images, stratified by label when there are labels; original order kept."""
    n = int(n)
    if n >= len(data):
        return data
    rng = np.random.default_rng(seed)
    if data.labels is None:
        index = rng.choice(len(data), n, replace=False)
    else:
        # allocate per class proportionally, then fill the rounding remainder at random
        classes, counts = np.unique(data.labels, return_counts=True)
        quota = np.floor(counts * n / len(data)).astype(int)
        chosen = [rng.choice(np.flatnonzero(data.labels == c), q, replace=False) for c, q in zip(classes, quota)]
        index = np.concatenate(chosen)
        rest = np.setdiff1d(np.arange(len(data)), index)
        index = np.concatenate([index, rng.choice(rest, n - len(index), replace=False)])
    return data.subset(np.sort(index))
