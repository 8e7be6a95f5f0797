"""`kit cluster EMBEDDING.npz --method kmeans --k 10 --out clusters.npz [--competition DIR]`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import typer

from kit.cli.app import app, console
from kit.cli.reduce import config_section, parse_params
from kit.errors import ConfigError, DataError


@app.command("cluster")
def cluster_command(
    embedding: Path = typer.Argument(..., help="embedding.npz / features.npz (ids, features)."),
    method: Optional[str] = typer.Option(None, "--method", help="kmeans, ekmeans, gmm, spectral, agglomerative, "
                                         "ensemble (ensembles need --config for their members)."),
    k: Optional[int] = typer.Option(None, "--k", help="Number of clusters (default: the competition's n_classes, else 10)."),
    param: list[str] = typer.Option([], "--param", help="key=value for the clusterer, repeatable (e.g. n_init=20)."),
    config: Optional[Path] = typer.Option(None, "--config", help="YAML file whose 'cluster:' section is the spec; "
                                          "--method/--k/--param override it."),
    competition: Optional[Path] = typer.Option(None, "--competition", help="Competition folder: map cluster ids to "
                                               "classes with its labeled images (labeled.csv)."),
    mapping: str = typer.Option("majority", "--mapping", help="majority or hungarian (with --competition)."),
    out: Path = typer.Option(..., "--out", help="Output clusters.npz."),
    seed: int = typer.Option(0, "--seed", help="Seed used when the spec sets none."),
) -> None:
    """Cluster an embedding; with --competition also write class labels mapped from the labeled images."""
    from kit.cluster import create_clusterer
    from kit.cluster.label_mapping import apply_mapping, map_clusters_to_labels
    from kit.features import load_features, save_clusters

    spec = dict(config_section(config, "cluster") or {}) if config else {}
    if not isinstance(spec, dict):
        raise ConfigError(f"{config}: 'cluster' must be a mapping")
    if method:
        spec["method"] = method
    spec.setdefault("method", "kmeans")
    for p in param:
        spec.update(parse_params(p, f"--param {p!r}"))
    comp = None
    if competition is not None:
        from kit.competition import load_competition  # written alongside; imported only when asked for

        comp = load_competition(competition)
    if k is not None:
        spec["n_clusters"] = k
    elif "n_clusters" not in spec:
        spec["n_clusters"] = (2 if comp.type == "binary" else int(comp.n_classes)) if comp is not None else 10
    clusterer = create_clusterer(spec, seed=seed)

    ids, X = load_features(embedding)
    with console.status(f"clustering {len(X)} x {X.shape[1]} with {spec['method']} (k={spec['n_clusters']})"):
        clusters = np.asarray(clusterer.fit_predict(X), dtype=np.int64)
    sizes = np.bincount(clusters)
    console.print(f"{len(np.unique(clusters))} clusters, sizes {sizes.min()}..{sizes.max()}")

    labels = None
    if comp is not None and comp.labeled is not None and len(comp.labeled):
        where = {i: n for n, i in enumerate(ids.tolist())}
        missing = [i for i in comp.labeled.ids if i not in where]
        if missing:
            raise DataError(f"{embedding}: labeled image {missing[0]!r} of {competition} has no row "
                            f"({len(missing)} missing)")
        index = np.array([where[i] for i in comp.labeled.ids], dtype=np.int64)
        mapped = map_clusters_to_labels(clusters, index, comp.labeled.labels, int(comp.n_classes), method=mapping)
        labels = apply_mapping(clusters, mapped)
        agree = float((labels[index] == comp.labeled.labels).mean())
        console.print(f"mapped clusters to classes with {len(index)} labeled images ({agree:.1%} of them agree)")
    save_clusters(out, ids, clusters, labels)
    console.print(f"wrote [bold]{out}[/]")
