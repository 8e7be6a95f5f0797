"""Build a competition folder (docs/formats.md) from a labeled ImageSet, deterministically from a seed."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from kit.data.imageset import ImageSet
from kit.data.sources import check_seed, subsample
from kit.competition.validate import TYPES
from kit.errors import ConfigError, DataError
from kit.competition.folder import check_foreign, check_output, write_competition

CIFAR10_GROUPS = (["bird", "cat", "deer", "dog", "frog", "horse"], ["airplane", "automobile", "ship", "truck"])


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
    source_info: dict | str | None = None,
    make_spec: dict | None = None,
    class_ratio: float = 1.0,
    delete_foreign: bool = False,
) -> Path:
    """Returns the folder. Built in a temporary folder and renamed at the end: never half-written.

    ``source_info`` (e.g. the load_source spec) is recorded as competition.json "source" so the folder says
    where its images came from; by default a summary of the source set. ``make_spec`` (a config's
    competition.make) is recorded as "make" so a later run can tell that its spec changed.
    ``class_ratio`` R > 1 makes the classes imbalanced: class sizes fall geometrically by class index, class 0 the
    largest and the last class R times smaller (``class_sizes``); 1 keeps the source's sizes (and today's ids).
    ``overwrite`` replaces a competition folder kit made, but refuses (naming them) files kit did not write in it,
    unless ``delete_foreign`` (`kit competition make --overwrite`: the user asked for it).
    """
    out_dir = Path(out_dir)
    if type not in TYPES:
        raise ConfigError(f"competition type must be one of {TYPES}, got {type!r}")
    if not 0 < public_fraction < 1:
        raise ConfigError(f"public_fraction must be in (0, 1), got {public_fraction}")
    if n_images is not None and n_images < 2:
        raise ConfigError(f"n_images must be at least 2, got {n_images}")
    if labels_per_class < 0:
        raise ConfigError(f"labels_per_class must be >= 0, got {labels_per_class}")
    check_class_ratio(class_ratio)
    check_seed(seed)
    if n_pairs is not None and n_pairs < 2:
        raise ConfigError(f"n_pairs must be at least 2, got {n_pairs}")
    if not source.has_labels or (source.labels < 0).any():
        raise DataError("a competition needs a fully labeled source (the labels become the hidden solution)")
    check_output(out_dir, overwrite)
    if overwrite and not delete_foreign:
        check_foreign(out_dir)  # before any work; write_competition checks again just before replacing
    rng = np.random.default_rng(seed)

    data, class_names = source, source.class_names
    if type == "binary":
        data, class_names, groups = _two_groups(source, groups)
    if class_ratio != 1:
        data = _imbalanced(data, class_ratio, n_images, seed)
    elif n_images:
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
        if len(pool) < 2:
            raise DataError(f"pairs competitions need at least 2 unlabeled images, got {len(pool)}")
        a, b = _sample_pairs(labels, pool, n_pairs or len(pool), rng)
        rows = pd.DataFrame({"id": [f"pair_{n:05d}" for n in range(len(a))], "image1": ids[a], "image2": ids[b]})
        truth = (labels[a] == labels[b]).astype(int)
        metric = "pair_accuracy"
    else:
        rows = pd.DataFrame({"id": ids[~labeled_mask]})
        truth = labels[~labeled_mask]
        if len(truth) < 2:
            raise DataError(f"only {len(truth)} unlabeled images are left for the submission; need at least 2")
        metric = "binary_accuracy" if type == "binary" else "accuracy" if labels_per_class else "cluster_accuracy"

    usage = _public_private(truth, public_fraction, seed)
    if source_info is None:
        source_info = {"n_images": len(source), "image_shape": list(source.images.shape[1:]),
                       "class_names": source.class_names}
    meta = {
        "name": name or out_dir.name, "type": type, "metric": metric, "n_classes": 2 if type == "binary" else n_classes,
        "class_names": class_names, "image_shape": list(images.images.shape[1:]), "n_images": len(ids),
        "n_labeled": int(labeled_mask.sum()), "n_rows": len(rows), "public_fraction": public_fraction, "seed": seed,
        "source": source_info, "groups": groups if type == "binary" else None,
    }
    if make_spec is not None:
        meta["make"] = make_spec
    files = {"sample_submission.csv": pd.DataFrame({"id": rows["id"], "label": 0}),
             "hidden/solution.csv": pd.DataFrame({"id": rows["id"], "label": truth, "Usage": usage})}
    if labels_per_class:
        files["labeled.csv"] = pd.DataFrame({"id": ids[labeled_mask], "label": labels[labeled_mask]})
    if type == "pairs":
        files["pairs.csv"] = rows
    return write_competition(out_dir, meta, images, files, delete_foreign=delete_foreign)


def check_class_ratio(ratio, where: str = "class_ratio") -> None:
    """ConfigError unless ``ratio`` is a real number >= 1 (largest class over smallest class)."""
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float, np.integer, np.floating)) \
            or not np.isfinite(ratio) or ratio < 1:
        raise ConfigError(f"{where} must be a finite number >= 1 (largest class / smallest class), got {ratio!r}")


def class_sizes(available: Sequence[int], ratio: float, n_images: int | None = None) -> np.ndarray:
    """Sizes of classes 0..C-1 falling geometrically from the largest (class 0) to the smallest (class C-1) by
    ``ratio``: size_i = floor(top * ratio ** (-i / (C - 1))), with ``top`` as large as the ``available`` images of
    every class allow and the total at most ``n_images``. DataError when a class would be left empty."""
    check_class_ratio(ratio)
    available = np.asarray(available, dtype=np.int64)
    c = len(available)
    weights = float(ratio) ** (-np.arange(c) / max(c - 1, 1))
    top = float(np.min(available / weights))
    if n_images:
        top = min(top, n_images / weights.sum())
    sizes = np.minimum(np.floor(top * weights + 1e-9).astype(np.int64), available)
    if (sizes < 1).any():
        raise DataError(f"class_ratio {ratio} leaves class {int(np.argmin(sizes))} empty "
                        f"(sizes {sizes.tolist()}); give more images or a smaller ratio")
    return sizes


def _imbalanced(data: ImageSet, ratio: float, n_images: int | None, seed: int) -> ImageSet:
    """A seeded subset with ``class_sizes`` images of each class (classes in label order); original order kept."""
    classes, counts = np.unique(data.labels, return_counts=True)
    sizes = class_sizes(counts, ratio, n_images)
    rng = np.random.default_rng([seed, 1])  # its own stream: the other draws do not depend on it
    index = np.concatenate([rng.choice(np.flatnonzero(data.labels == c), s, replace=False)
                            for c, s in zip(classes, sizes)])
    return data.subset(np.sort(index))


def _two_groups(source: ImageSet, groups) -> tuple[ImageSet, list[str], list[list[str]]]:
    """Relabel to 0/1 by group (names or indices), drop other classes; also returns the groups as class names."""
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
    members = [[names[i] for i in sorted(k for k, v in label_of.items() if v == g)] for g in (0, 1)]
    if not all(members):
        raise ConfigError("binary competitions need at least one class in each group")
    return data, ["+".join(m) for m in members], members


def _sample_pairs(labels, pool, n, rng) -> tuple[np.ndarray, np.ndarray]:
    """About half same-class pairs, half different-class pairs, from images in ``pool`` (vectorised rejection)."""
    a = rng.choice(pool, n, replace=True)
    same = rng.random(n) < 0.5
    classes, counts = np.unique(labels[pool], return_counts=True)
    same &= np.isin(labels[a], classes[counts >= 2])  # a class with one image cannot form a same-class pair
    if len(classes) < 2:
        same[:] = True  # ... and a single class cannot form a different-class pair
    b = rng.choice(pool, n, replace=True)
    for c in np.unique(labels[a[same]]):
        rows = np.flatnonzero(same & (labels[a] == c))
        b[rows] = rng.choice(pool[labels[pool] == c], len(rows), replace=True)
    bad = np.flatnonzero((a == b) | ((labels[a] == labels[b]) != same))
    for r in bad:  # redraw the few that came out wrong (same image, or wrong same/different) from valid partners
        match = labels[pool] == labels[a[r]]
        cands = pool[(match & (pool != a[r])) if same[r] else ~match]
        b[r] = rng.choice(cands)
    return a, b


def _public_private(truth: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    idx = np.arange(len(truth))
    n_public = min(max(int(round(fraction * len(truth))), 1), len(truth) - 1)  # both splits non-empty
    _, counts = np.unique(truth, return_counts=True)
    stratify = truth if counts.min() >= 2 and n_public >= len(counts) and len(truth) - n_public >= len(counts) else None
    public, _ = train_test_split(idx, train_size=n_public, random_state=seed, stratify=stratify)
    usage = np.full(len(truth), "Private", dtype=object)
    usage[public] = "Public"
    return usage
