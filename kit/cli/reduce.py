"""`kit reduce FEATURES.npz --step pca:n_components=50 --step tsne -o embedding.npz` (the same code as `kit run`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.choices import seed_option
from kit.errors import ConfigError
from kit.overrides import parse_spec


def config_section(path: Path, section: str) -> Any:
    """One section of a YAML file (a run config or a file holding just that section). A missing, unreadable,
    binary or broken file is one line, read as `kit run` reads configs (kit.config.read_config_file)."""
    from kit.config import read_config_file

    try:
        data = read_config_file(path) or {}
    except ConfigError as e:
        raise ConfigError(f"--config {e}") from None
    if not isinstance(data, dict) or section not in data:
        raise ConfigError(f"--config {path}: no '{section}' section")
    return data[section]


@app.command("reduce")
def reduce_command(
    features: Path = typer.Argument(..., help="features.npz (ids, features) from `kit extract` or a previous reduce."),
    step: list[str] = typer.Option([], "--step", "-s", help="METHOD[:key=value,...], repeatable, applied in order "
                                   "(methods such as standardize, l2norm, pca, kernel_pca, tsne, umap, spectral, "
                                   "lle; a wrong name lists them all)."),
    config: Optional[Path] = typer.Option(None, "--config", help="YAML file whose 'reduce:' list gives the steps "
                                          "(--step options are appended after them)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output embedding.npz."),
    seed: int = seed_option(0, "Seed for every step that sets none (0 .. 2**32 - 1)."),
) -> None:
    """Reduce features with a chain of steps, e.g. PCA to 50 dims then t-SNE to 2.

    Example: kit reduce features.npz --step pca:n_components=50 --step tsne:perplexity=30 -o embedding.npz
    """
    from kit.io import check_file_path
    from kit.pipeline.stages import features_shape, reduce_stage
    from kit.reduce import check_shapes, create_reducer

    check_file_path(out, "--out")
    steps = (config_section(config, "reduce") or []) if config else []
    if not isinstance(steps, list):
        raise ConfigError(f"--config {config}: 'reduce' must be a list of steps, e.g. [{{method: pca}}]")
    steps = list(steps) + [parse_spec(s, "--step", "method") for s in step]
    if not steps:
        raise ConfigError("give at least one --step (e.g. --step pca:n_components=50) or a --config with 'reduce:'")
    # every spec checked, and its sizes against the features' (from the file's header), before they are read
    shape = features_shape(features)
    if shape is not None:
        check_shapes(steps, *shape, seed=seed)
    else:  # no readable header: the specs alone now, the sizes when the stage has read the features
        for spec in steps:
            create_reducer(spec, seed=seed)
    path = reduce_stage(features, steps, seed, out.parent, out_name=out.name, view_2d=False, console=console)
    console.print(f"wrote [bold]{escape(str(path))}[/]")
