"""One function per pipeline stage. Each reads its inputs from files and writes into its own folder."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from kit.errors import ConfigError
from kit.features import load_clusters, load_features, save_clusters, save_features


def build_competition(comp_cfg: dict[str, Any], seed: int, console=None) -> Path:
    """Use the competition folder if it exists, else build it from ``competition.make``."""
    comp_dir = Path(comp_cfg["dir"])
    if (comp_dir / "competition.json").exists():
        return comp_dir
    make = dict(comp_cfg.get("make") or {})
    if not make:
        raise ConfigError(f"competition folder {comp_dir} does not exist and the config has no competition.make to build it")
    from kit.competition import make_competition
    from kit.data.sources import load_source

    if console:
        console.print(f"building competition [bold]{comp_dir}[/] from {make['source']}")
    source = load_source(dict(make.pop("source")))
    make.setdefault("seed", seed)
    return Path(make_competition(source, comp_dir, **make))


def pretrain_stage(comp, options: dict[str, Any], seed: int, out_dir: Path) -> Path:
    from kit.train.pretrain import pretrain

    options = {"seed": seed, **options}
    labeled = comp.labeled
    resume = (out_dir / "checkpoints" / "last.pt").exists()  # crash leftovers: continue, lose nothing
    return pretrain(
        comp.images.images, out_dir,
        val_images=None if labeled is None else labeled.images,
        val_labels=None if labeled is None else labeled.labels,
        resume=resume, **options,
    )


def finetune_stage(comp, model_dir: Path, options: dict[str, Any], seed: int, out_dir: Path) -> Path:
    from kit.train.finetune import finetune

    if comp.labeled is None or len(comp.labeled) == 0:
        raise ConfigError(f"finetune needs labeled images, but competition {comp.name!r} has no labeled.csv")
    return finetune(model_dir, comp.labeled.images, comp.labeled.labels, out_dir, **{"seed": seed, **options})


def extract_stage(comp, model: str | Path, options: dict[str, Any], out_dir: Path) -> Path:
    from kit.train.extract import extract_features

    kwargs = {k: v for k, v in options.items() if k in ("kind", "batch_size")}
    return extract_features(str(model), comp.images, out_dir / "features.npz", **kwargs)


def reduce_stage(features_path: Path, steps: list[dict], seed: int, out_dir: Path) -> Path:
    """Chain the reduction steps; also keep a cheap 2-D PCA view for plots when the result is not 2-D."""
    from kit.reduce import reduce

    ids, X = load_features(features_path)
    Z = reduce(X, steps, seed=seed) if steps else X
    save_features(out_dir / "embedding.npz", ids, Z)
    if Z.shape[1] != 2:
        from sklearn.decomposition import PCA

        view = PCA(2, random_state=seed).fit_transform(Z) if Z.shape[1] > 2 else np.c_[Z, np.zeros(len(Z))]
        save_features(out_dir / "embedding_2d.npz", ids, view)
    return out_dir / "embedding.npz"


def cluster_stage(comp, embedding_path: Path, spec: dict[str, Any], seed: int, out_dir: Path) -> Path:
    """Cluster every image; map cluster ids to classes with the labeled images when there are any."""
    from kit.cluster import cluster
    from kit.cluster.label_mapping import apply_mapping, map_clusters_to_labels

    ids, X = load_features(embedding_path)
    spec = dict(spec)
    spec.setdefault("n_clusters", default_n_clusters(comp))
    clusters = cluster(X, spec, seed=seed)
    labels = None
    if spec["method"] == "argmax":  # class logits: cluster ids already are class indices
        labels = clusters
    elif comp.labeled is not None and len(comp.labeled):
        where = {i: n for n, i in enumerate(ids.tolist())}
        index = np.array([where[i] for i in comp.labeled.ids])
        mapping = map_clusters_to_labels(clusters, index, comp.labeled.labels, comp.n_classes)
        labels = apply_mapping(clusters, mapping)
    return save_clusters(out_dir / "clusters.npz", ids, clusters, labels)


def default_n_clusters(comp) -> int:
    return 2 if comp.type == "binary" else int(comp.n_classes)


def submit_stage(comp, clusters_path: Path, out_dir: Path, metadata: dict[str, Any]) -> Path:
    from kit.submit import build_submission, write_submission

    df = build_submission(comp, load_clusters(clusters_path))
    return write_submission(df, comp, out_dir / "submission.csv", metadata)
