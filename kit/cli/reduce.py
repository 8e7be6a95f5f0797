"""`kit reduce FEATURES.npz --step pca:n_components=50 --step tsne -o embedding.npz` (the same code as `kit run`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
import yaml
from rich.markup import escape

from kit.cli.app import app, console
from kit.cli.options import split_top_level
from kit.errors import ConfigError
from kit.overrides import split_item


def parse_params(text: str, where: str) -> dict[str, Any]:
    """'a=1,b=x,c=[1, 2]' -> {"a": 1, "b": "x", "c": [1, 2]}: comma-separated key=value, values as YAML."""
    return dict(split_item(item, where) for item in split_top_level(text))


def parse_step(text: str) -> dict[str, Any]:
    """'tsne:n_components=2,perplexity=30' -> {"method": "tsne", "n_components": 2, "perplexity": 30}."""
    method, _, params = text.partition(":")
    if not method.strip():
        raise ConfigError(f"--step {text!r}: expected METHOD[:key=value,...]")
    return {"method": method.strip(), **parse_params(params, f"--step {text!r}")}


def config_section(path: Path, section: str) -> Any:
    """One section of a YAML file (a run config or a file holding just that section)."""
    if not path.exists():
        raise ConfigError(f"--config {path}: no such config file")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"--config {path}: invalid YAML: {' '.join(str(e).split())}") from None
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
    seed: int = typer.Option(0, "--seed", help="Seed for every step that sets none."),
) -> None:
    """Reduce features with a chain of steps, e.g. PCA to 50 dims then t-SNE to 2.

    Example: kit reduce features.npz --step pca:n_components=50 --step tsne:perplexity=30 -o embedding.npz
    """
    from kit.pipeline.stages import reduce_stage
    from kit.reduce import create_reducer

    steps = list(config_section(config, "reduce") or []) if config else []
    steps += [parse_step(s) for s in step]
    if not steps:
        raise ConfigError("give at least one --step (e.g. --step pca:n_components=50) or a --config with 'reduce:'")
    for spec in steps:  # every spec checked before the features are even read
        create_reducer(spec, seed=seed)
    path = reduce_stage(features, steps, seed, out.parent, out_name=out.name, view_2d=False, console=console)
    console.print(f"wrote [bold]{escape(str(path))}[/]")
