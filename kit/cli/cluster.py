"""`kit cluster EMBEDDING.npz --method kmeans --n-clusters 10 -o clusters.npz [--competition DIR]` (the same code as `kit run`)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.choices import ClusterMethod, LabelMapping, k_option, seed_option, value
from kit.cli.options import deprecated, parse_options
from kit.cli.reduce import config_section
from kit.errors import ConfigError
from kit.train.options import check_ranges


@app.command("cluster")
def cluster_command(
    embedding: Path = typer.Argument(..., help="embedding.npz / features.npz (ids, features)."),
    method: Optional[ClusterMethod] = typer.Option(None, "--method", "-m", help="Clusterer (default kmeans; "
                                                   "ensembles need --config for their members)."),
    k: Optional[str] = typer.Option(None, "--n-clusters", metavar="<int|auto>",
                                    help="Number of clusters (default: the competition's n_classes, else 10), or "
                                    "auto: the labeled classes' count, else chosen from the data "
                                    "(kit.cluster.auto_k)."),
    old_k: Optional[str] = typer.Option(None, "--k", "-k", hidden=True),  # deprecated: k is a neighbour count
    opt: list[str] = typer.Option([], "--opt", "-O", help="Clusterer option key=value, repeatable "
                                  "(e.g. -O n_init=20)."),
    old_opt: list[str] = typer.Option([], "--param", hidden=True),  # deprecated: -O/--opt in every command
    config: Optional[Path] = typer.Option(None, "--config", help="YAML file whose 'cluster:' section is the spec; "
                                          "--method/--k/--opt override it."),
    competition: Optional[Path] = typer.Option(None, "--competition", "-c", help="Competition folder: map cluster "
                                               "ids to classes with its labeled images (labeled.csv)."),
    mapping: LabelMapping = typer.Option(LabelMapping.majority, "--mapping", help="How clusters map to classes "
                                         "(with --competition)."),
    smooth_k: Optional[int] = typer.Option(None, "--smooth-k", min=0, help="Vote on each image's class with its smooth_k "
                                 "nearest neighbours' (0: off): those of --neighbors-file, else the embedding's own."),
    smooth_alpha: Optional[float] = typer.Option(None, "--smooth-alpha", help="Weight of the neighbours' vote, in "
                                                 "(0, 1] (default 0.8)."),
    neighbors: Optional[Path] = typer.Option(None, "--neighbors-file", help="neighbors.npz (ids, indices) to smooth "
                                             "over, e.g. the refine run's neighbors stage."),
    old_neighbors: Optional[Path] = typer.Option(None, "--neighbors", hidden=True),  # deprecated: a count in refine
    out: Path = typer.Option(..., "--out", "-o", help="Output clusters.npz."),
    seed: int = seed_option(0, "Seed used when the spec sets none (0 .. 2**32 - 1)."),
) -> None:
    """Cluster an embedding; with --competition also write class labels mapped from the labeled images.

    Example: kit cluster embedding.npz --method gmm --n-clusters 10 -O n_init=3 --competition competitions/digits_5 -o clusters.npz
    """
    from kit.cluster import create_clusterer
    from kit.io import check_file_path
    from kit.pipeline.stages import cluster_stage

    check_file_path(out, "--out")  # before any work, not after the clustering
    if old_neighbors is not None:
        deprecated("cluster", "--neighbors FILE", "--neighbors-file FILE", "--neighbors is a count in `kit refine`")
        neighbors = neighbors if neighbors is not None else old_neighbors
    spec = (config_section(config, "cluster") or {}) if config else {}
    if not isinstance(spec, dict):
        raise ConfigError(f"--config {config}: 'cluster' must be a mapping")
    spec = dict(spec)
    if method:
        spec["method"] = value(method)
    spec.setdefault("method", "kmeans")
    if old_opt:
        deprecated("cluster", "--param KEY=VALUE", "-O/--opt KEY=VALUE", "the option syntax of every kit command")
    spec.update(parse_options([*opt, *old_opt], "--opt"))
    from kit.config import clusterer_spec, smoothing

    given = {"smooth_k": smooth_k, "smooth_alpha": smooth_alpha}
    spec.update({key: v for key, v in given.items() if v is not None})
    check_ranges("cluster", {key: spec[key] for key in given if key in spec})
    smooth = smoothing(spec)
    if neighbors is not None and not smooth["smooth_k"]:
        raise ConfigError("--neighbors-file is only read with --smooth-k N (N > 0)")
    spec = clusterer_spec(spec)  # mapping comes from --mapping
    comp = None
    if competition is not None:
        from kit.competition import load_competition  # imported only when asked for

        comp = load_competition(competition)
    if old_k is not None:
        deprecated("cluster", "-k/--k", "--n-clusters", "k is a neighbour count in every config (refine.k, "
                   "cluster.k of scan)")
        k = k if k is not None else old_k
    if k is not None:
        spec["n_clusters"] = k_option(k, "--n-clusters")
    check = {**spec, "n_clusters": 10} if spec.get("n_clusters", "auto") == "auto" else spec
    create_clusterer(check, seed=seed)  # a bad spec fails before the embedding is read
    path = cluster_stage(comp, embedding, spec, seed, out.parent, out_name=out.name, mapping=value(mapping),
                         **smooth, neighbors=neighbors, console=console)
    console.print(f"wrote [bold]{escape(str(path))}[/]")


