"""Build a competition folder (docs/formats.md) from a labeled ImageSet, deterministically from a seed."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from kit.data.imageset import ImageSet
from kit.data.sources import subsample
from kit.errors import ConfigError, DataError

CIFAR10_GROUPS = (["bird", "cat", "deer", "dog", "frog", "horse"], ["airplane", "automobile", "ship", "truck"])
TYPES = ("label", "binary", "pairs")


def make_competition(
    source: ImageSet,
    out_dir: str | Path,
    type: str = "label",
    *,
    name: str | None = None,
    n_images: int | None = None,
    labels_per_class: int = 0,
    public_fraction: float = 0.3,
    seed: int = 0,
    groups: Sequence[Sequence] | None = None,
    n_pairs: int | None = None,
    overwrite: bool = False,
) -> Path:
    """Returns the folder. Built in a temporary folder and renamed at the end: never half-written."""
    out_dir = Path(out_dir)
    if type not in TYPES:
        raise ConfigError(f"competition type must be one of {TYPES}, got {type!r}")
    if not 0 < public_fraction < 1:
        raise ConfigError(f"public_fraction must be in (0, 1), got {public_fraction}")
    if not source.has_labels or (source.labels < 0).any():
        raise DataError("a competition needs a fully labeled source (the labels become the hidden solution)")
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise DataError(f"{out_dir} already exists; pass overwrite=True (--overwrite) to replace it")
    rng = np.random.default_rng(seed)

    data, class_names = source, source.class_names
    if type == "binary":
        data, class_names = _two_groups(source, groups)
    if n_images:
        data = subsample(data, n_images, seed)
    order = rng.permutation(len(data))  # anonymised ids in shuffled order: ids leak nothing about labels
    data = data.subset(order)
    ids = np.array([f"img_{n:05d}" for n in range(len(data))])
    images = ImageSet(ids=ids, images=data.images)
    labels = data.labels
    n_classes = int(len(class_names)) if class_names else int(labels.max()) + 1

    labeled_mask = np.zeros(len(ids), dtype=bool)
    if labels_per_class:
        for c in np.unique(labels):
            members = np.flatnonzero(labels == c)
            if len(members) <= labels_per_class:
                raise DataError(f"class {c} has {len(members)} images, not enough for {labels_per_class} labels per class")
            labeled_mask[rng.choice(members, labels_per_class, replace=False)] = True

    if type == "pairs":
        pool = np.flatnonzero(~labeled_mask)
        a, b = _sample_pairs(labels, pool, n_pairs or len(pool), rng)
        rows = pd.DataFrame({"id": [f"pair_{n:05d}" for n in range(len(a))], "image1": ids[a], "image2": ids[b]})
        truth = (labels[a] == labels[b]).astype(int)
        metric = "pair_accuracy"
    else:
        rows = pd.DataFrame({"id": ids[~labeled_mask]})
        truth = labels[~labeled_mask]
        metric = "binary_accuracy" if type == "binary" else "accuracy" if labels_per_class else "cluster_accuracy"

    usage = _public_private(truth, public_fraction, seed)
    meta = {
        "name": name or out_dir.name, "type": type, "metric": metric, "n_classes": 2 if type == "binary" else n_classes,
        "class_names": class_names, "image_shape": list(images.images.shape[1:]), "n_images": len(ids),
        "n_labeled": int(labeled_mask.sum()), "n_rows": len(rows), "public_fraction": public_fraction, "seed": seed,
        "groups": [list(g) for g in groups] if groups is not None else (list(map(list, CIFAR10_GROUPS)) if type == "binary" else None),
    }
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        (tmp / "hidden").mkdir()
        (tmp / "competition.json").write_text(json.dumps(meta, indent=2) + "\n")
        images.save(tmp / "images.npz")
        if labels_per_class:
            pd.DataFrame({"id": ids[labeled_mask], "label": labels[labeled_mask]}).to_csv(tmp / "labeled.csv", index=False)
        if type == "pairs":
            rows.to_csv(tmp / "pairs.csv", index=False)
        pd.DataFrame({"id": rows["id"], "label": 0}).to_csv(tmp / "sample_submission.csv", index=False)
        pd.DataFrame({"id": rows["id"], "label": truth, "Usage": usage}).to_csv(tmp / "hidden" / "solution.csv", index=False)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out_dir


def _two_groups(source: ImageSet, groups) -> tuple[ImageSet, list[str]]:
    names = source.class_names or [str(i) for i in range(source.n_classes)]
    if groups is None:
        if not set(sum(CIFAR10_GROUPS, [])) <= set(names):
            raise ConfigError("binary competitions need groups=[[classes of source 0], [classes of source 1]]")
        groups = CIFAR10_GROUPS
    if len(groups) != 2:
        raise ConfigError(f"binary competitions need exactly two groups, got {len(groups)}")
    label_of = {}
    for g, members in enumerate(groups):
        for m in members:
            idx = names.index(m) if m in names else int(m) if str(m).isdigit() and int(m) < len(names) else None
            if idx is None:
                raise ConfigError(f"group member {m!r} is not a class of the source (classes: {names})")
            if idx in label_of:
                raise ConfigError(f"class {names[idx]!r} is in both groups")
            label_of[idx] = g
    keep = np.isin(source.labels, list(label_of))
    data = source.subset(np.flatnonzero(keep))
    data.labels = np.array([label_of[int(c)] for c in data.labels], dtype=np.int64)
    return data, ["+".join(names[i] for i in sorted(k for k, v in label_of.items() if v == g)) for g in (0, 1)]


def _sample_pairs(labels, pool, n, rng) -> tuple[np.ndarray, np.ndarray]:
    """About half same-class pairs, half different-class pairs, from images in ``pool`` (vectorised rejection)."""
    a = rng.choice(pool, n, replace=True)
    same = rng.random(n) < 0.5
    b = rng.choice(pool, n, replace=True)
    for c in np.unique(labels[a[same]]):
        rows = np.flatnonzero(same & (labels[a] == c))
        b[rows] = rng.choice(pool[labels[pool] == c], len(rows), replace=True)
    for _ in range(100):  # redraw pairs that came out wrong (same image, or wrong same/different)
        bad = (a == b) | ((labels[a] == labels[b]) != same)
        if not bad.any():
            break
        rows = np.flatnonzero(bad)
        for r in rows:
            cands = pool[labels[pool] == labels[a[r]]] if same[r] else pool
            b[r] = rng.choice(cands)
    return a, b


def _public_private(truth: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    idx = np.arange(len(truth))
    n_public = int(round(fraction * len(truth)))
    _, counts = np.unique(truth, return_counts=True)
    stratify = truth if counts.min() >= 2 and n_public >= len(counts) and len(truth) - n_public >= len(counts) else None
    public, _ = train_test_split(idx, train_size=n_public, random_state=seed, stratify=stratify)
    usage = np.full(len(truth), "Private", dtype=object)
    usage[public] = "Public"
    return usage
