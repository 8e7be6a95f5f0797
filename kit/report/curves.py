"""Per-checkpoint curve: train reconstruction MSE and validation clustering accuracy by epoch."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd


def curve_figure(metrics: pd.DataFrame, path) -> str:
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    y = "train_mse" if metrics["train_mse"].notna().any() else "train_loss"
    ax.plot(metrics["epoch"], metrics[y], "o-", color="tab:blue", label=y)
    ax.set_xlabel("epoch (checkpoint)")
    ax.set_ylabel(y, color="tab:blue")
    caption = f"{y} per epoch"
    if "val_acc" in metrics and metrics["val_acc"].notna().any():
        ax2 = ax.twinx()
        ax2.plot(metrics["epoch"], metrics["val_acc"], "s-", color="tab:orange", label="val ACC")
        ax2.set_ylabel("val clustering ACC", color="tab:orange")
        caption += f" against validation clustering accuracy (best {metrics['val_acc'].max():.3f})"
    else:
        caption += " (no validation labels, so no accuracy curve)"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return caption + "."
