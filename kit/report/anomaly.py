"""Anomaly detection with the autoencoder: reconstruction loss of normal vs out-of-distribution images."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score

from kit.train.extract import reconstruction_errors


def default_ood(images: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """Same-shape stand-ins when no OOD set is given: uniform noise and intensity-inverted images."""
    rng = np.random.default_rng(seed)
    return {"uniform noise": rng.integers(0, 256, images.shape, dtype=np.uint8), "inverted": 255 - images}


def anomaly_figure(model, normal: np.ndarray, ood: dict[str, np.ndarray], path) -> str:
    err_n = reconstruction_errors(model, normal)
    errs = {name: reconstruction_errors(model, imgs) for name, imgs in ood.items()}
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    bins = np.linspace(0, max(err_n.max(), *(e.max() for e in errs.values())) * 1.05, 60)
    ax.hist(err_n, bins=bins, alpha=0.6, label="competition images", density=True)
    aucs = []
    for name, err_o in errs.items():
        auc = roc_auc_score(np.r_[np.zeros(len(err_n)), np.ones(len(err_o))], np.r_[err_n, err_o])
        aucs.append(f"{name}: ROC AUC {auc:.3f}")
        ax.hist(err_o, bins=bins, alpha=0.5, label=f"{name} (AUC {auc:.2f})", density=True)
    ax.set_xlabel("per-image reconstruction MSE")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return "Reconstruction loss as an anomaly score; " + "; ".join(aucs) + "."
