"""2-D embedding scatter: coloured by submitted cluster beside the same points coloured by reference label.

A cluster takes the colour of the class Hungarian matching assigns it, so a good clustering makes the two
panels look alike and a merged or split class shows up as a colour that differs between them.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from kit.report.figure import save_figure

MAX_LEGEND = 20


def to_2d(view: np.ndarray, seed: int = 0) -> np.ndarray:
    """A plottable 2-D view: as is when 2-D, PCA when wider, padded with zeros when 1-D."""
    if view.shape[1] == 2:
        return view
    if view.shape[1] == 1:
        return np.c_[view, np.zeros(len(view))]
    from sklearn.decomposition import PCA

    return PCA(2, random_state=seed).fit_transform(view)


def colour_indices(clusters: np.ndarray, classes: np.ndarray, mapping: dict) -> tuple[dict, dict]:
    """Colour slot per class value, and per cluster id: its matched class's slot, else a fresh slot."""
    class_slot = {v: n for n, v in enumerate(np.unique(classes).tolist())}
    cluster_slot, fresh = {}, len(class_slot)
    for c in np.unique(clusters).tolist():
        if mapping.get(c) in class_slot:
            cluster_slot[c] = class_slot[mapping[c]]
        else:
            cluster_slot[c], fresh = fresh, fresh + 1
    return class_slot, cluster_slot


def embedding_figure(view: np.ndarray, clusters: np.ndarray | None, labels: np.ndarray | None, path, title: str,
                     max_points: int = 5000, seed: int = 0, mapping: dict | None = None,
                     names: list[str] | None = None) -> tuple[str, int]:
    """view: N x 2; clusters: cluster id per point (or None); labels: reference class per point, -1 unknown (or None).
    Returns (figure title line, number of points drawn)."""
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(view), min(max_points, len(view)), replace=False))
    known = labels is not None and (labels >= 0).any()
    classes = labels[labels >= 0] if known else np.array([], dtype=np.int64)
    class_slot, cluster_slot = colour_indices(clusters if clusters is not None else np.array([], np.int64), classes,
                                              mapping or {})
    n_slots = max([*class_slot.values(), *cluster_slot.values(), 0]) + 1
    cmap = plt.get_cmap("tab10" if n_slots <= 10 else "tab20")
    panels = [p for p in (("cluster", clusters, cluster_slot), ("class", labels if known else None, class_slot))
              if p[1] is not None]
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 7.2), squeeze=False)
    size = 5 if len(idx) > 2000 else 12
    for ax, (kind, colour, slots) in zip(axes[0], panels):
        shown = idx[colour[idx] >= 0]
        if kind == "class" and len(shown) < len(idx):  # images without a reference label: grey context
            rest = np.setdiff1d(idx, shown)
            ax.scatter(view[rest, 0], view[rest, 1], c="#d0d0d0", s=size * 0.6, linewidths=0)
        ax.scatter(view[shown, 0], view[shown, 1], c=cmap(np.array([slots[v] for v in colour[shown]]) % cmap.N),
                   s=size if kind == "cluster" or len(shown) > 500 else 20, alpha=0.75, linewidths=0)
        values = sorted(slots, key=lambda v: (slots[v], v))[:MAX_LEGEND]  # cluster legend in its classes' order
        handles = [Line2D([], [], marker="o", ls="", color=cmap(slots[v] % cmap.N), label=_label(kind, v, mapping, names))
                   for v in values]
        more = f" (first {MAX_LEGEND} of {len(slots)})" if len(slots) > MAX_LEGEND else ""
        ax.legend(handles=handles, title=("submitted cluster → class" if kind == "cluster" else "class") + more,
                  fontsize=11, title_fontsize=11, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=5,
                  frameon=False, markerscale=1.6, columnspacing=1.2, handletextpad=0.2)
        what = "submitted clusters" if kind == "cluster" else f"reference labels ({len(shown)} labelled points)"
        ax.set_title(f"{title}\ncoloured by {what}", fontsize=13)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    save_figure(fig, path)
    return title, len(idx)


def _label(kind: str, value, mapping: dict | None, names: list[str] | None) -> str:
    if kind == "class":
        return _name(value, names)
    if mapping and value in mapping:
        return f"{value} → {_name(mapping[value], names)}"
    return f"{value}"


def _name(value, names: list[str] | None) -> str:
    if names is not None and 0 <= int(value) < len(names) and names[int(value)] != str(value):
        return f"{int(value)}: {names[int(value)]}"
    return str(value)
