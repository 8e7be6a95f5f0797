"""Registry of ingestion formats: ``load_source({"kind": ..., **options})`` -> ImageSet."""
from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from kit.data.class_tree import load_class_tree
from kit.data.digits import load_digits
from kit.data.fashion_mnist import load_fashion_mnist
from kit.data.folder_csv import load_folder_csv
from kit.data.idx import load_idx
from kit.data.imageset import ImageSet
from kit.data.npy import load_npy
from kit.data.torchvision_source import load_torchvision
from kit.errors import ConfigError, DataError
from kit.paths import shared_data_dir
from kit.registry import Registry

SOURCES = Registry("source.kind")
for _name, _fn in {
    "npy": load_npy,
    "folder_csv": load_folder_csv,
    "class_tree": load_class_tree,
    "idx": load_idx,
    "fashion_mnist": load_fashion_mnist,
    "torchvision": load_torchvision,
    "digits": load_digits,
    "imageset": ImageSet.load,
}.items():
    SOURCES.register(_name)(_fn)
COMMON = ("limit", "seed", "resize", "grayscale")
SEED_MAX = 2**32 - 1  # numpy and sklearn seeds: 0 .. 2**32 - 1 (as kit.cli.choices.SEED_MAX)


def check_seed(seed: Any, where: str = "seed") -> int:
    """A seed numpy and sklearn take: an integer in 0 .. 2**32 - 1 (one line, not their traceback)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= SEED_MAX:
        raise ConfigError(f"{where} must be an integer in 0 .. {SEED_MAX}, got {seed!r}")
    return int(seed)


def source_spec(value: Any, where: str) -> dict[str, Any]:
    """A source given as text, 'fashion_mnist:split=test,limit=500' (kit.overrides.parse_spec, as a reduce
    --step is written), or as a mapping with a 'kind'. The old text form 'fashion_mnist,split=test' still reads,
    with a deprecation line. The kind and options are checked when the source loads."""
    from kit.errors import warn_deprecated
    from kit.overrides import parse_spec, split_top_level

    if isinstance(value, dict):
        if not isinstance(value.get("kind"), str):
            raise ConfigError(f"{where}: a source mapping needs a 'kind' (e.g. {{kind: fashion_mnist, split: test}}), "
                              f"got {value!r}")
        return dict(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a source such as fashion_mnist:split=test,limit=500, got {value!r}")
    parts = split_top_level(value)
    if len(parts) > 1 and not any(c in parts[0] for c in ":="):  # KIND,key=value: the old spelling
        new = f"{parts[0]}:{','.join(parts[1:])}"
        warn_deprecated(f"{where} {value}", f"{where} {new}", "a source is KIND:key=value,... as a reduce --step is "
                        "METHOD:key=value,...")
        value = new
    return parse_spec(value, where, "kind")


def load_source(spec: dict[str, Any]) -> ImageSet:
    """Options every kind accepts: ``limit`` (seeded, class-stratified subset of N images), ``seed``,
    ``resize: [H, W]`` and ``grayscale: true|false`` (file formats apply these while decoding, array formats after).

    A string option starting with ``shared:`` names a path inside the shared data folder (``KIT_SHARED_DATA``).
    """
    spec = dict(spec)
    kind = spec.pop("kind", None)
    SOURCES.get(kind)  # unknown kind: did-you-mean error
    limit, seed = spec.pop("limit", None), spec.pop("seed", 0)
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ConfigError(f"source {kind}: limit must be a positive integer, got {limit!r}")
    check_seed(seed, f"source {kind}: seed")
    spec = {k: _resolve_shared(v) for k, v in spec.items()}
    if spec.get("resize") is not None:
        spec["resize"] = _check_resize(kind, spec["resize"])
    fn = SOURCES.get(kind)
    params = inspect.signature(fn).parameters
    after = {k: spec.pop(k) for k in ("resize", "grayscale") if k in spec and k not in params}
    unknown = [k for k in spec if k not in params]
    if unknown:
        valid = [p for p in params if p != "self"] + [c for c in COMMON if c not in params]
        raise ConfigError(f"source {kind}: unknown option(s) {unknown} (valid: {valid})")
    missing = [name for name, p in params.items() if p.default is p.empty and name not in spec
               and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if missing:
        raise ConfigError(f"source {kind}: missing required option(s) {missing} (e.g. --opt {missing[0]}=...)")
    data = fn(**spec)
    if len(data) == 0:  # every loader refuses this itself; this catches the rest (e.g. an empty saved set)
        raise DataError(f"source {kind}: 0 images; nothing to cluster")
    if limit:
        data = subsample(data, limit, seed)  # before converting: no work spent on dropped images
    if after:
        data = convert_images(data, resize=after.get("resize"), grayscale=after.get("grayscale"))
    return data


def _check_resize(kind: str, value: Any) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value, value]
    ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) and v > 0 for v in value)
    if not ok:
        raise ConfigError(f"source {kind}: resize must be [H, W] (positive integers), got {value!r}")
    return int(value[0]), int(value[1])


def convert_images(data: ImageSet, resize: tuple[int, int] | None = None, grayscale: bool | None = None) -> ImageSet:
    """Resize and/or change channels of an already decoded set (same PIL conversions as file decoding)."""
    from PIL import Image

    images = data.images
    to_gray = grayscale is True and images.shape[-1] == 3
    to_rgb = grayscale is False and images.shape[-1] == 1
    if resize is None and not to_gray and not to_rgb:
        return data
    out = []
    for arr in images:
        im = Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr)
        if to_gray or to_rgb:
            im = im.convert("L" if to_gray else "RGB")
        if resize is not None and im.size != (resize[1], resize[0]):
            im = im.resize((resize[1], resize[0]), Image.BILINEAR)
        out.append(np.asarray(im, dtype=np.uint8))
    return ImageSet(ids=data.ids, images=np.stack(out), labels=data.labels, class_names=data.class_names)


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
