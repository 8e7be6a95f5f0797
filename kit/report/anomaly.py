"""Anomaly detection with the autoencoder: reconstruction loss of normal vs out-of-distribution images."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score

from kit.report.figure import save_figure


def default_ood(images: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """Same-shape stand-ins when no OOD set is given: uniform noise, upside-down and intensity-inverted images."""
    rng = np.random.default_rng(seed)
    return {"uniform noise": rng.integers(0, 256, images.shape, dtype=np.uint8),
            "flipped vertically": np.ascontiguousarray(images[:, ::-1]),
            "inverted": 255 - images}


def ood_auc(normal_errors: np.ndarray, ood_errors: np.ndarray) -> float:
    """ROC AUC of the error as a score for 'is out of distribution' (0.5 = no better than chance)."""
    y = np.r_[np.zeros(len(normal_errors)), np.ones(len(ood_errors))]
    return float(roc_auc_score(y, np.r_[normal_errors, ood_errors]))


def anomaly_scores(model, normal: np.ndarray, ood: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, float]]]:
    """Per-image reconstruction MSE of the normal images, and per OOD set its errors and ROC AUC."""
    from kit.train.extract import reconstruction_errors

    err_n = reconstruction_errors(model, normal)
    return err_n, {name: (e, ood_auc(err_n, e)) for name, imgs in ood.items()
                   for e in [reconstruction_errors(model, imgs)]}


def anomaly_figure(normal_errors: np.ndarray, ood: dict[str, tuple[np.ndarray, float]], path) -> str:
    fig, ax = plt.subplots(figsize=(7, 3.8))
    top = max(normal_errors.max(), *(e.max() for e, _ in ood.values()))
    bins = np.linspace(0, top * 1.02, 70)
    ax.hist(normal_errors, bins=bins, alpha=0.6, label=f"competition images (n={len(normal_errors)})", density=True)
    for name, (err, auc) in ood.items():
        ax.hist(err, bins=bins, label=f"{name} (AUC {auc:.3f})", density=True, histtype="step", linewidth=1.6)
    ax.set_xlabel("per-image reconstruction MSE")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
    return ("Reconstruction loss as an anomaly score (competition images are the training set); ROC AUC, "
            "out-of-distribution vs competition: " + "; ".join(f"{n} {a:.3f}" for n, (_, a) in ood.items()) + ".")
