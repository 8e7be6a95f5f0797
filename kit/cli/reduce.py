"""`kit reduce FEATURES.npz --step pca:n_components=50 --step tsne --out embedding.npz`."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

import typer
import yaml

from kit.cli.app import app, console
from kit.errors import ConfigError


def parse_params(text: str, where: str) -> dict[str, Any]:
    """'a=1,b=x,c=true' -> {"a": 1, "b": "x", "c": True} (values parsed as YAML scalars)."""
    out: dict[str, Any] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        if "=" not in item:
            raise ConfigError(f"{where}: expected key=value, got {item!r}")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError:
            raise ConfigError(f"{where}: cannot parse value of {key.strip()!r}: {value!r}") from None
    return out


def parse_step(text: str) -> dict[str, Any]:
    """'tsne:n_components=2,perplexity=30' -> {"method": "tsne", "n_components": 2, "perplexity": 30}."""
    method, _, params = text.partition(":")
    if not method.strip():
        raise ConfigError(f"--step {text!r}: expected METHOD[:key=value,...]")
    return {"method": method.strip(), **parse_params(params, f"--step {text!r}")}


def config_section(path: Path, section: str) -> Any:
    """One section of a YAML file (a run config or a file holding just that section)."""
    if not path.exists():
        raise ConfigError(f"{path}: no such config file")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {e}") from None
    if not isinstance(data, dict) or section not in data:
        raise ConfigError(f"{path}: no '{section}' section")
    return data[section]


@app.command("reduce")
def reduce_command(
    features: Path = typer.Argument(..., help="features.npz (ids, features) from `kit extract` or a previous reduce."),
    step: list[str] = typer.Option([], "--step", help="METHOD[:key=value,...], repeatable, applied in order "
                                   "(methods: standardize, l2norm, pca, kernel_pca, tsne, spectral, lle)."),
    config: Optional[Path] = typer.Option(None, "--config", help="YAML file whose 'reduce:' list gives the steps "
                                          "(--step options are appended after them)."),
    out: Path = typer.Option(..., "--out", help="Output embedding.npz."),
    seed: int = typer.Option(0, "--seed", help="Seed for every step that sets none."),
) -> None:
    """Reduce features with a chain of steps, e.g. PCA to 50 dims then t-SNE to 2."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from kit.features import load_features, save_features
    from kit.reduce import create_reducer

    steps = list(config_section(config, "reduce") or []) if config else []
    steps += [parse_step(s) for s in step]
    if not steps:
        raise ConfigError("give at least one --step (e.g. --step pca:n_components=50) or a --config with 'reduce:'")
    reducers = [create_reducer(s, seed=seed) for s in steps]  # all specs checked before any work
    ids, Z = load_features(features)
    console.print(f"{features}: {Z.shape[0]} x {Z.shape[1]}")
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        task = progress.add_task("reduce", total=len(steps))
        for spec, reducer in zip(steps, reducers):
            progress.update(task, description=f"{spec['method']} ({Z.shape[1]} -> ...)")
            t0 = time.perf_counter()
            Z = reducer.fit_transform(Z)
            progress.console.print(f"  {spec} -> {Z.shape[1]} dims in {time.perf_counter() - t0:.1f}s")
            progress.advance(task)
    save_features(out, ids, Z)
    console.print(f"wrote [bold]{out}[/] ({Z.shape[0]} x {Z.shape[1]})")
