"""Per-checkpoint curve through the run's own pipeline: train MSE vs clustering accuracy of every saved epoch.

The pretrain metrics.csv's val_acc is K-Means on the raw latent codes; what the run submits goes through the
configured reduce steps (e.g. kernel PCA -> t-SNE) and cluster method first. Here every
checkpoints/epoch_XXX.pt of the pretrain model encodes the same labeled validation images, which then go
through exactly the run's reduce stage (kit.reduce.reduce, its steps and seed) and cluster stage
(kit.cluster.cluster, its spec, seed and n_clusters) and are scored with Hungarian accuracy and NMI.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kit.errors import KitError
from kit.report.skip import Skip

CHECKPOINT = re.compile(r"epoch_(\d+)\.pt$")


@dataclass
class ValidationSet:
    ids: np.ndarray  # str image ids, in the order encoded
    images: np.ndarray  # uint8 N,H,W,C
    labels: np.ndarray  # int64 class per image
    source: str  # where the labels come from, for the caption


def validation_set(ctx, max_images: int = 2000, seed: int = 0) -> ValidationSet:
    """The competition's labeled images (labeled.csv) when it has any, else its images with a reference label
    (public solution rows); at most ``max_images``, sampled without replacement with ``seed`` (kept in order)."""
    comp = ctx.comp
    if comp is None:
        raise Skip(f"no competition images ({ctx.comp_error})")
    labeled = comp.labeled
    if labeled is not None and len(labeled):
        ids, images, labels = labeled.ids.astype(str), labeled.images, np.asarray(labeled.labels, dtype=np.int64)
        source = "labeled.csv"
    else:
        ref = ctx.reference()
        labels = ref.labels_for(comp.images.ids) if ref is not None else None
        if labels is None or not (labels >= 0).any():
            raise Skip(f"no labels to score checkpoints with: {ctx.no_reference()}"
                       + (f" ({ctx.comp_error})" if ctx.comp_error else ""))
        keep = np.flatnonzero(labels >= 0)
        ids, images, labels, source = comp.images.ids.astype(str)[keep], comp.images.images[keep], labels[keep], ref.source
    if len(ids) > max_images:
        pick = np.sort(np.random.default_rng(seed).choice(len(ids), max_images, replace=False))
        ids, images, labels = ids[pick], images[pick], labels[pick]
    return ValidationSet(ids, images, labels, source)


def checkpoint_files(model_dir: Path) -> list[tuple[int, Path]]:
    """(epoch, path) of every checkpoints/epoch_XXX.pt, by epoch."""
    found = []
    for p in (Path(model_dir) / "checkpoints").glob("epoch_*.pt"):
        m = CHECKPOINT.search(p.name)
        if m:
            found.append((int(m.group(1)), p))
    return sorted(found)


def pipeline_specs(ctx) -> tuple[list[dict], int, dict, int]:
    """(reduce steps, reduce seed, cluster spec with n_clusters, cluster seed) exactly as the run's stages used them."""
    from kit.pipeline.stages import default_n_clusters

    cluster_cfg = ctx.stage_config("cluster")
    if cluster_cfg is None:
        raise Skip("no cluster stage config (cluster stage.json) in this run")
    reduce_cfg = ctx.stage_config("reduce")
    if reduce_cfg is None:
        raise Skip("no reduce stage config (reduce stage.json) in this run")
    # the runner records {"seed": seed, **spec}; cluster_stage got the spec and the seed separately
    from kit.config import clusterer_spec

    spec = clusterer_spec(cluster_cfg)  # without the run's keys (cluster.mapping): the clusterer would reject them
    cluster_seed = int(spec.pop("seed", 0))
    if spec.get("method") == "argmax":
        raise Skip("the run clusters a finetuned head's class logits (argmax); pretrain checkpoints have no logits")
    spec.setdefault("n_clusters", 10 if ctx.comp is None else default_n_clusters(ctx.comp))
    from kit.cluster.auto_k import is_auto

    if is_auto(spec["n_clusters"]):  # every checkpoint clustered with the K the run found, not a new search each
        found = ctx.stage_file("cluster", "clusters.npz")
        if found is None:
            raise Skip("n_clusters: auto, and the run's clusters.npz (which records the K found) is missing")
        with np.load(found, allow_pickle=False) as z:
            if "auto_k" not in z:
                raise Skip("n_clusters: auto, but the run's clusters.npz does not record the K found")
            spec["n_clusters"] = int(z["auto_k"])
    return list(reduce_cfg.get("steps") or []), int(reduce_cfg.get("seed", 0)), spec, cluster_seed


def describe_pipeline(steps: list[dict], spec: dict) -> str:
    """'pca5 -> kmeans (k=10)'."""
    from kit.report.table import describe_steps

    reduce_text = describe_steps(steps) if steps else "no reduction"
    return f"{reduce_text} -> {spec.get('method', '?')} (k={spec.get('n_clusters', '?')})"


def load_checkpoint_model(model_dir: Path, checkpoint: Path):
    """The pretrain model rebuilt from model.json with the checkpoint's weights, on the CPU, in eval mode."""
    import torch

    from kit.models import create_model
    from kit.train.loop import load_checkpoint

    meta = json.loads((Path(model_dir) / "model.json").read_text())
    model = create_model(meta["name"], meta["in_channels"], meta["image_size"], **meta["kwargs"])
    model.load_state_dict(load_checkpoint(checkpoint, torch.device("cpu"))["model"])
    return model.eval()


def encode(model, images: np.ndarray) -> np.ndarray:
    """Latent codes as the extract stage computes them (net.encode, batched, float32), flattened to (N, D)."""
    from kit.train.inference import batched

    z = batched(model.encode, images, "cpu")
    return z.reshape(len(images), -1)


def reduce_and_cluster(z: np.ndarray, steps: list[dict], reduce_seed: int, spec: dict, cluster_seed: int) -> np.ndarray:
    """What the reduce and cluster stages do to features (float32 in between, as embedding.npz stores them)."""
    from kit.cluster import cluster
    from kit.reduce import reduce

    X = np.asarray(z, dtype=np.float32)
    Z = reduce(X, steps, seed=reduce_seed) if steps else X
    return cluster(np.asarray(Z, dtype=np.float32), spec, seed=cluster_seed)


def checkpoint_scores(ctx, max_images: int = 2000, seed: int = 0) -> pd.DataFrame:
    """One row per pretrain checkpoint: epoch, train_mse, train_loss (metrics.csv), acc, nmi (validation images
    through the run's reduce + cluster). ``df.attrs``: ids (the validation images), source, n_images, pipeline,
    steps, cluster."""
    from sklearn.metrics import normalized_mutual_info_score

    from kit.metrics import cluster_accuracy

    model_dir = ctx.model_dir
    if model_dir is None:
        raise Skip("no pretrain stage in this run, so no checkpoints")
    if not (model_dir / "model.json").exists():
        raise Skip(f"{model_dir}: no model.json (pretrain did not finish)")
    checkpoints = checkpoint_files(model_dir)
    if not checkpoints:
        raise Skip(f"{model_dir / 'checkpoints'}: no epoch_*.pt checkpoints (pretrain.checkpoint_keep_every: 1 "
                   "keeps one per epoch)")
    steps, reduce_seed, spec, cluster_seed = pipeline_specs(ctx)
    val = validation_set(ctx, max_images, seed)
    metrics = pd.read_csv(model_dir / "metrics.csv") if (model_dir / "metrics.csv").exists() else pd.DataFrame()

    def logged(epoch: int, column: str) -> float:
        if column not in metrics or "epoch" not in metrics:
            return float("nan")
        hit = metrics.loc[metrics["epoch"] == epoch, column]
        return float(hit.iloc[-1]) if len(hit) else float("nan")

    rows = []
    for epoch, path in checkpoints:
        z = encode(load_checkpoint_model(model_dir, path), val.images)
        try:
            pred = reduce_and_cluster(z, steps, reduce_seed, spec, cluster_seed)
        except (KitError, ValueError) as e:
            raise Skip(f"the configured {describe_pipeline(steps, spec)} cannot run on the {len(val.ids)} "
                       f"validation images: {e}") from None
        rows.append({"epoch": epoch, "train_mse": logged(epoch, "train_mse"), "train_loss": logged(epoch, "train_loss"),
                     "acc": cluster_accuracy(val.labels, pred),
                     "nmi": float(normalized_mutual_info_score(val.labels, pred))})
    df = pd.DataFrame(rows, columns=["epoch", "train_mse", "train_loss", "acc", "nmi"])
    df.attrs.update(ids=val.ids, source=val.source, n_images=len(val.ids), pipeline=describe_pipeline(steps, spec),
                    steps=steps, cluster=spec)
    return df


def checkpoint_curve_figure(df: pd.DataFrame, path, pipeline_text: str) -> str:
    """Two y axes: train MSE (left) and validation ACC / NMI through the configured pipeline (right) by epoch."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from kit.report.figure import save_figure

    y = "train_mse" if df["train_mse"].notna().any() else "train_loss"
    fig, ax = plt.subplots(figsize=(7, 3.8))
    lines = []
    if y in df and df[y].notna().any():
        lines += ax.plot(df["epoch"], df[y], "o-", color="tab:blue", label=f"{y} (metrics.csv)")
    ax.set_xlabel("epoch (checkpoint)")
    ax.set_ylabel(y, color="tab:blue")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax2 = ax.twinx()
    lines += ax2.plot(df["epoch"], df["acc"], "s-", color="tab:orange", label="val ACC")
    lines += ax2.plot(df["epoch"], df["nmi"], "^--", color="tab:green", alpha=0.7, label="val NMI")
    ax2.set_ylabel(f"validation score ({pipeline_text})", color="tab:orange", fontsize=8)
    ax.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="lower center",
              bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    fig.tight_layout()
    save_figure(fig, path)
    best = df.loc[df["acc"].idxmax()]
    n, source = df.attrs.get("n_images"), df.attrs.get("source")
    images = f"{n} validation images" if n is not None else "the validation images"
    caption = (f"{len(df)} pretrain checkpoints, each through the configured pipeline {pipeline_text} on {images}"
               + (f" (labels from {source})" if source else "")
               + f": best ACC {best['acc']:.3f} (NMI {best['nmi']:.3f}) at epoch {int(best['epoch'])}; "
               f"last epoch ACC {df['acc'].iloc[-1]:.3f}")
    if df[y].notna().any():
        caption += f", {y} {df[y].iloc[-1]:.4f}"
    return caption + "."
