"""Side-by-side figures over several runs, one row or column per run, for the experiment pages.

Every figure takes ``items`` = [(label, RunContext), ...] in display order and an output PNG path, and returns a
caption that states the numbers shown. An item whose input is missing is left out and named in the caption with
the reason; when no item has it, Skip(reason).

Reconstructions (reconstructions, denoising) are the model's forward pass, as in kit.report.reconstruction (for
skip_ae that is the skip path it was trained on); anomaly losses are kit.train.extract.reconstruction_errors
(decode(encode(x))), as in the single-run anomaly figure. For every autoencoder without skips the two agree.
"""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.lines import Line2D

from kit.report.context import RunContext
from kit.report.figure import save_figure
from kit.report.reconstruction import _show, interpolate, reconstruct
from kit.report.skip import Skip
from kit.train.loop import to_tensor

Items = list[tuple[str, RunContext]]
MAX_IMAGES = 2000  # competition images per run for the anomaly losses (a seeded sample, as the single-run figure)


# ---- shared ------------------------------------------------------------------------------------------------------

def _left_note(left: list[str]) -> str:
    return f" Left out: {'; '.join(left)}." if left else ""


def _none(what: str, left: list[str]) -> Skip:
    return Skip(f"no run has {what}" + (f" ({'; '.join(left)})" if left else " (no runs given)"))


def autoencoders(items: Items, same_shape: bool = True) -> tuple[list[tuple[str, RunContext, object]], list[str]]:
    """([(label, ctx, model)] with an autoencoder and competition images, [left-out notes]); with ``same_shape``
    an item whose images differ in shape from the first kept item's is left out too."""
    kept, left = [], []
    for label, ctx in items:
        problem = ctx.autoencoder_problem()
        if problem is None and same_shape and kept and ctx.images.shape[1:] != kept[0][1].images.shape[1:]:
            problem = f"its images are {ctx.images.shape[1:]}, those of {kept[0][0]} are {kept[0][1].images.shape[1:]}"
        if problem:
            left.append(f"{label}: {problem}")
        else:
            kept.append((label, ctx, ctx.autoencoder()))
    if not kept:
        raise _none("an autoencoder and competition images", left)
    return kept, left


def pick_images(n_images: int, n: int, seed: int) -> np.ndarray:
    """Positions of the n images every row shows: np.sort(default_rng(seed).choice(n_images, n, replace=False))."""
    return np.sort(np.random.default_rng(seed).choice(n_images, min(n, n_images), replace=False))


def _per_image(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return ((a - b) ** 2).flatten(1).mean(1)


def _grid(rows: list[tuple[str, torch.Tensor]], path) -> None:
    """One row of images (N,C,H,W in [0, 1]) per (title, images)."""
    n = max(len(r) for _, r in rows)
    fig, axes = plt.subplots(len(rows), n, figsize=(n * 1.1 + 0.3, len(rows) * 1.35 + 0.2), squeeze=False)
    for r, (title, imgs) in enumerate(rows):
        for c in range(n):
            if c < len(imgs):
                _show(axes[r, c], imgs[c])
            else:
                axes[r, c].axis("off")
        axes[r, 0].set_title(title, loc="left", fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def _class(ctx: RunContext, value: int) -> str:
    names = ctx.class_names
    named = names and 0 <= value < len(names) and names[value] != str(value)
    return f"{value} ({names[value]})" if named else str(value)


# ---- 1. reconstructions --------------------------------------------------------------------------------------------

def _reconstructed(items: Items, n: int, seed: int):
    kept, left = autoencoders(items)
    first = kept[0][1]
    idx = pick_images(len(first.images), n, seed)
    x = to_tensor(first.images[idx])
    return first, x, [(label, reconstruct(model, x)) for label, _, model in kept], left


def reconstructions(items: Items, path, n: int = 8, seed: int = 0) -> str:
    first, x, rows, left = _reconstructed(items, n, seed)
    mse = {label: float(_per_image(r, x).mean()) for label, r in rows}
    _grid([("original", x)] + [(f"{label}: MSE {mse[label]:.4f}", r) for label, r in rows], path)
    return (f"Top: {len(x)} competition images of {first.name} (chosen with seed {seed}); below, one row per run: "
            "its reconstructions (the model's forward pass). Mean per-image MSE over these images: "
            + ", ".join(f"{label} {m:.4f}" for label, m in mse.items()) + "." + _left_note(left))


# ---- 3. denoising --------------------------------------------------------------------------------------------------

def add_noise(x: torch.Tensor, sigma: float, seed: int) -> torch.Tensor:
    """x + sigma * N(0, 1) (numpy default_rng(seed), float32, in x's N,C,H,W layout), clipped to [0, 1]."""
    noise = np.random.default_rng(seed).standard_normal(tuple(x.shape)).astype(np.float32)
    return (x + sigma * torch.from_numpy(noise)).clamp(0, 1)


def _denoised(items: Items, sigma: float, n: int, seed: int):
    kept, left = autoencoders(items)
    first = kept[0][1]
    x = to_tensor(first.images[pick_images(len(first.images), n, seed)])
    noisy = add_noise(x, sigma, seed)
    return first, x, noisy, [(label, reconstruct(model, noisy)) for label, _, model in kept], left


def denoising(items: Items, path, sigma: float = 0.3, n: int = 8, seed: int = 0) -> str:
    first, x, noisy, rows, left = _denoised(items, sigma, n, seed)
    noisy_mse = float(_per_image(noisy, x).mean())
    mse = {label: float(_per_image(r, x).mean()) for label, r in rows}
    _grid([("clean", x), (f"noisy (σ={sigma:g}): MSE {noisy_mse:.4f}", noisy)]
          + [(f"{label}: MSE {mse[label]:.4f}", r) for label, r in rows], path)
    return (f"Rows: {len(x)} clean competition images of {first.name} (chosen with seed {seed}); the same plus "
            f"{sigma:g}·N(0,1) noise (numpy default_rng({seed}), clipped to [0, 1], the same noise for every run); "
            "then each run's reconstruction of the noisy images (forward pass). Mean per-image MSE against the clean "
            f"images: noisy {noisy_mse:.4f}; " + ", ".join(f"{label} {m:.4f}" for label, m in mse.items()) + "."
            + _left_note(left))


# ---- 4. interpolation ----------------------------------------------------------------------------------------------

def _labels(ctx: RunContext) -> np.ndarray | None:
    """Reference class per competition image (-1 unknown), or None without reference labels."""
    ref = ctx.reference()
    return None if ref is None else ref.labels_for(ctx.comp.images.ids)


def endpoints(ctx: RunContext, classes=None, indices=None) -> tuple[int, int]:
    """Positions of the two endpoint images: ``indices``; else the first image of each of ``classes`` (by
    reference label, competition order; the second one when both classes are equal); else pick_pair."""
    from kit.report.reconstruction import pick_pair

    n = len(ctx.images)
    if indices is not None:
        pair = [int(i) for i in indices]
        if len(pair) != 2 or not all(0 <= i < n for i in pair):
            raise Skip(f"interpolation indices must be two image positions in 0..{n - 1}, got {list(indices)}")
        return pair[0], pair[1]
    labels = _labels(ctx)
    if classes is None:
        if n < 2:
            raise Skip("the competition has fewer than two images")
        return pick_pair(labels)
    if len(classes) != 2:
        raise Skip(f"interpolation classes must be two class ids, got {list(classes)}")
    if labels is None:
        raise Skip(f"interpolation between classes {list(classes)} needs reference labels, and {ctx.name}'s "
                   f"competition has {ctx.no_reference()}")
    pair = []
    for j, c in enumerate(int(c) for c in classes):
        hits = np.flatnonzero(labels == c)
        nth = [int(k) for k in classes[:j]].count(c)
        if len(hits) <= nth:
            raise Skip(f"no{' second' if nth else ''} competition image of {ctx.name} has reference label {c} "
                       f"(class {c} has {len(hits)} labelled image(s))")
        pair.append(int(hits[nth]))
    return pair[0], pair[1]


@torch.no_grad()
def interpolation(items: Items, path, classes=None, indices=None, steps: int = 8, seed: int = 0) -> str:
    kept, left = autoencoders(items)
    first = kept[0][1]
    pair = endpoints(first, classes, indices)
    x = to_tensor(first.images[list(pair)])
    rows = []
    for label, _, model in kept:
        decoded, z = interpolate(model, x, steps)
        rows.append((f"{label} (latent {z[0].numel()})", torch.cat([x[:1], decoded, x[1:]])))
    _grid(rows, path)
    labels = _labels(first)
    ends = [f"id {first.comp.images.ids[i]} (position {i}"
            + (f", class {_class(first, int(labels[i]))})" if labels is not None and labels[i] >= 0 else ")")
            for i in pair]
    how = (f"indices {list(indices)}" if indices is not None else f"the first images of classes {list(classes)}"
           if classes is not None else "image 0 and the first image of another class")
    return (f"Latent interpolation between two competition images of {first.name}, chosen as {how}: A = {ends[0]}, "
            f"B = {ends[1]}. Each row: A, then decode((1-t)·z_A + t·z_B) for {steps} values of t evenly from 0 to 1, "
            "then B." + _left_note(left))


# ---- 5. anomaly ----------------------------------------------------------------------------------------------------

def _anomaly_sets(ctx: RunContext, ood, seed: int) -> dict[str, np.ndarray]:
    """{"competition": a seeded sample of the run's images, then each OOD set}."""
    from kit.report.anomaly import default_ood

    normal = ctx.images[np.random.default_rng(seed).permutation(len(ctx.images))[:MAX_IMAGES]]
    if ood is None:
        return {"competition": normal, **default_ood(normal, seed)}
    from kit.data import ImageSet

    other = ImageSet.load(ood).images[:MAX_IMAGES]
    if other.shape[1:] != normal.shape[1:]:
        raise Skip(f"OOD images in {ood} are {other.shape[1:]}, its competition's are {normal.shape[1:]}")
    return {"competition": normal, Path(ood).stem: other}


def anomaly_losses(items: Items, ood=None, seed: int = 0):
    """({label: {set name: per-image reconstruction_errors}}, the first item's (model, sets), left-out notes)."""
    from kit.train.extract import reconstruction_errors

    kept, left = autoencoders(items, same_shape=False)
    errors, first = {}, None
    for label, ctx, model in kept:
        try:
            sets = _anomaly_sets(ctx, ood, seed)
        except Skip as e:
            left.append(f"{label}: {e}")
            continue
        errors[label] = {name: reconstruction_errors(model, imgs) for name, imgs in sets.items()}
        first = first or (model, sets)
    if not errors:
        raise _none("an autoencoder whose images match the OOD set", left)
    return errors, first, left


@torch.no_grad()
def anomaly(items: Items, path, ood=None, n_examples: int = 6, seed: int = 0) -> str:
    from kit.report.anomaly import ood_auc

    errors, (model, sets), left = anomaly_losses(items, ood, seed)
    names = list(sets)
    fig = plt.figure(figsize=(max(7.0, n_examples * 1.1), 3.6 + 2.3 * len(names)), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[3.6, 2.3 * len(names)])
    ax, width = top.subplots(), 0.8 / len(errors)
    for k, (label, errs) in enumerate(errors.items()):
        ax.bar(np.arange(len(names)) + (k - (len(errors) - 1) / 2) * width, [errs[s].mean() for s in names], width,
               label=label)
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("mean reconstruction MSE")
    ax.legend(fontsize=8)
    model.eval()
    for sub, name in zip(np.atleast_1d(bottom.subfigures(len(names), 1)), names):
        x = to_tensor(sets[name][:n_examples])
        x_hat = model.decode(model.encode(x))
        axes = sub.subplots(2, n_examples, squeeze=False)
        for c in range(n_examples):
            for a, img in ((axes[0, c], x), (axes[1, c], x_hat)):
                if c < len(x):
                    _show(a, img[c])
                else:
                    a.axis("off")
        sub.suptitle(f"{name} (top) and its reconstruction by {next(iter(errors))}", fontsize=9)
    save_figure(fig, path)
    per_item = [f"{label}: " + ", ".join(f"{s} {e.mean():.4f}" + ("" if s == "competition" else
                                         f" (AUC {ood_auc(errs['competition'], e):.3f})") for s, e in errs.items())
                for label, errs in errors.items()]
    return (f"Mean per-image reconstruction MSE (decode(encode(x))) of up to {MAX_IMAGES} competition images and of "
            "each out-of-distribution set, with the ROC AUC of the loss as an OOD score (0.5 = chance): "
            + "; ".join(per_item) + f". Below: {n_examples} examples per set with {next(iter(errors))}'s "
            "reconstructions." + _left_note(left))


# ---- 2. embeddings -------------------------------------------------------------------------------------------------

def public_score(ctx: RunContext) -> float | None:
    """The public score the submit stage recorded (scores.json), or None; never the private score."""
    f = ctx.stage_file("submit", "scores.json")
    value = json.loads(f.read_text()).get("public") if f is not None else None
    return None if value is None else float(value)


def _embedding_panel(ctx: RunContext, color: str, seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(N x 2 view, colour slot per point (-1 = grey), projection description) for one run."""
    from kit.report.embedding import to_2d
    from kit.report.figures import _mapping_or_none, clusters_for, run_embedding

    ids, view, title = run_embedding(ctx)
    if color == "label":
        ref = ctx.reference()
        slots = ref.labels_for(ids) if ref is not None else None
        if slots is None or not (slots >= 0).any():
            raise Skip("no reference label for any image of its embedding")
        return to_2d(view, seed), slots, title
    if ctx.clusters() is None:
        raise Skip("no cluster stage output (clusters.npz)")
    clusters = clusters_for(ctx, ids)
    if clusters is None:
        raise Skip("clusters.npz does not cover its embedding's ids")
    mapping = _mapping_or_none(ctx) or {}  # a matched cluster takes its class's colour, the rest fresh ones
    base = max([ctx.comp.n_classes if ctx.comp is not None else 0, *(v + 1 for v in mapping.values())])
    rest = [k for k in np.unique(clusters).tolist() if k not in mapping]
    slot = {**mapping, **{k: base + j for j, k in enumerate(rest)}}
    return to_2d(view, seed), np.array([slot[k] for k in clusters.tolist()], dtype=np.int64), title


def embeddings(items: Items, path, color: str = "label", max_points: int = 3000, seed: int = 0) -> str:
    if color not in ("label", "cluster"):
        from kit.errors import ConfigError

        raise ConfigError(f"embeddings color must be label or cluster, got {color!r}")
    panels, left = [], []
    for label, ctx in items:
        try:
            panels.append((label, ctx, *_embedding_panel(ctx, color, seed), public_score(ctx)))
        except Skip as e:
            left.append(f"{label}: {e}")
    if not panels:
        raise _none("a 2-D embedding with " + ("reference labels" if color == "label" else "clusters"), left)
    top = max(int(s.max()) for *_, s, _, _ in panels)
    cmap = plt.get_cmap("tab10" if top < 10 else "tab20")
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 5.2), squeeze=False)
    for ax, (label, ctx, view, slots, _, score) in zip(axes[0], panels):
        idx = np.sort(np.random.default_rng(seed).choice(len(view), min(max_points, len(view)), replace=False))
        grey, shown, size = idx[slots[idx] < 0], idx[slots[idx] >= 0], 6 if len(idx) > 1000 else 14
        ax.scatter(view[grey, 0], view[grey, 1], c="#d0d0d0", s=size * 0.7, linewidths=0)
        ax.scatter(view[shown, 0], view[shown, 1], c=cmap(slots[shown] % cmap.N), s=size, alpha=0.8, linewidths=0)
        ax.set_title(label + (f"\npublic {score:.4f}" if score is not None else ""), fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    first = panels[0][1]
    n_classes = first.comp.n_classes if first.comp is not None else 0
    classes = sorted({int(v) for *_, s, _, _ in panels for v in np.unique(s) if 0 <= v < n_classes})
    fig.legend(handles=[Line2D([], [], marker="o", ls="", color=cmap(v % cmap.N), label=_class(first, v))
                        for v in classes], loc="lower center", ncol=min(10, max(1, len(classes))), fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    save_figure(fig, path)
    how = ("reference label (grey: images without one)" if color == "label" else
           "submitted cluster (a cluster takes the colour of its Hungarian-matched class; unmatched ones extra "
           "colours)")
    scores = [f"{label} " + (f"{score:.4f}" if score is not None else "none recorded") for label, *_, score in panels]
    return (f"2-D embeddings coloured by {how}, up to {max_points} points each: "
            + "; ".join(f"{label}: {title}" for label, _, _, _, title, _ in panels)
            + ". Public score (submit stage): " + ", ".join(scores) + "." + _left_note(left))


# ---- 6. confusions -------------------------------------------------------------------------------------------------

def confusions(items: Items, path) -> str:
    from kit.report.figures import run_confusion

    done, left = [], []
    for label, ctx in items:
        try:
            done.append((label, ctx, *run_confusion(ctx)))
        except Skip as e:
            left.append(f"{label}: {e}")
    if not done:
        raise _none("clusters and reference labels", left)
    fig, axes = plt.subplots(1, len(done), figsize=(4.8 * len(done), 4.8), squeeze=False)
    for ax, (label, ctx, cm, _) in zip(axes[0], done):
        ax.imshow(cm.row_normalised, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        if cm.counts.size <= 400:
            for i, j in zip(*np.nonzero(cm.counts)):
                ax.text(j, i, str(cm.counts[i, j]), ha="center", va="center", fontsize=6,
                        color="white" if cm.row_normalised[i, j] > 0.55 else "#222")
        names = [_class(ctx, v) for v in cm.classes.tolist()]
        many = len(cm.classes) > 10 or sum(len(n) for n in names) > 50  # long names overlap unless slanted
        ax.set_xticks(range(len(cm.classes)), names,
                      rotation=45 if many else 0, ha="right" if many else "center", fontsize=7)
        ax.set_yticks(range(len(cm.clusters)), [f"{c} → {cm.mapping[c]}" if c in cm.mapping else f"{c} (unmatched)"
                                                for c in cm.clusters.tolist()], fontsize=7)
        ax.set_title(f"{label}: accuracy {cm.accuracy:.4f}", fontsize=10)
        ax.set_xlabel("true class")
    axes[0, 0].set_ylabel("submitted cluster → Hungarian class")
    fig.tight_layout()
    save_figure(fig, path)
    scores = [f"{label} {cm.accuracy:.4f} ({int(cm.counts.sum())} images, {ref.source})" for label, _, cm, ref in done]
    return ("Submitted clusters (rows, ordered by their Hungarian-matched class) against reference labels; colour = "
            "share of the cluster's images per class, text = image count. Accuracy under the one-to-one mapping, on "
            "the labelled images: " + "; ".join(scores) + "." + _left_note(left))
