"""2-D embedding scatter, coloured by class (analysis: hidden labels) or by cluster."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from kit.report.figure import save_figure


def to_2d(view: np.ndarray, seed: int = 0) -> np.ndarray:
    """A plottable 2-D view: as is when 2-D, PCA when wider, padded with zeros when 1-D."""
    if view.shape[1] == 2:
        return view
    if view.shape[1] == 1:
        return np.c_[view, np.zeros(len(view))]
    from sklearn.decomposition import PCA

    return PCA(2, random_state=seed).fit_transform(view)


def embedding_figure(view: np.ndarray, colour: np.ndarray, path, title: str, max_points: int = 5000, seed: int = 0,
                     names: list[str] | None = None, legend_title: str = "class", note: str = "") -> str:
    """Scatter of at most max_points random points; one legend entry per colour value (named when names given).
    title goes on the plot (keep it short); note only into the returned caption."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(view), min(max_points, len(view)), replace=False)
    values = np.unique(colour)
    cmap = plt.get_cmap("tab10" if len(values) <= 10 else "tab20")
    index = {v: n for n, v in enumerate(values)}
    colours = cmap(np.array([index[v] for v in colour[idx]]) % cmap.N)
    fig, ax = plt.subplots(figsize=(8, 6))
    ax.scatter(view[idx, 0], view[idx, 1], c=colours, s=4 if len(idx) > 2000 else 10, alpha=0.7, linewidths=0)
    shown = values[:20]
    handles = [Line2D([], [], marker="o", ls="", color=cmap(index[v] % cmap.N),
                      label=_name(v, names)) for v in shown]
    ax.legend(handles=handles, title=legend_title, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    save_figure(fig, path)
    extra = f" (legend lists the first 20 of {len(values)})" if len(values) > 20 else ""
    return f"2-D embedding, {title}{note}; {len(idx)} of {len(view)} points shown{extra}."


def _name(value, names: list[str] | None) -> str:
    if names is not None and 0 <= int(value) < len(names) and names[int(value)] != str(value):
        return f"{int(value)}: {names[int(value)]}"
    return str(value)
