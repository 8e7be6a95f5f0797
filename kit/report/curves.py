"""Per-checkpoint curve: train reconstruction MSE and validation clustering accuracy by epoch."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import MaxNLocator

from kit.report.figure import save_figure


def curve_figure(metrics: pd.DataFrame, path) -> str:
    """Two y axes: the training loss falls every epoch, but does clustering accuracy follow?"""
    y = "train_mse" if "train_mse" in metrics and metrics["train_mse"].notna().any() else "train_loss"
    fig, ax = plt.subplots(figsize=(7, 3.8))
    lines = ax.plot(metrics["epoch"], metrics[y], "o-", color="tab:blue", label=y)
    ax.set_xlabel("epoch (checkpoint)")
    ax.set_ylabel(y, color="tab:blue")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    caption = f"{y} per epoch (last {metrics[y].iloc[-1]:.4f})"
    if "val_acc" in metrics and metrics["val_acc"].notna().any():
        ax2 = ax.twinx()
        lines += ax2.plot(metrics["epoch"], metrics["val_acc"], "s-", color="tab:orange", label="val clustering ACC")
        ax2.set_ylabel("val clustering ACC (labeled images)", color="tab:orange")
        best = metrics.loc[metrics["val_acc"].idxmax()]
        caption += (f" against clustering accuracy on the labeled images (best {best['val_acc']:.3f} at epoch "
                    f"{int(best['epoch'])})")
    else:
        caption += " (the competition has no labeled images, so no accuracy curve)"
    # above the axes: inside, it would hide whichever curve passes the top centre
    ax.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="lower center",
              bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    fig.tight_layout()
    save_figure(fig, path)
    return caption + "."
