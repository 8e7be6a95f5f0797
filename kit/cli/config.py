"""`kit config schema [SECTION]` and `kit config check CONFIG [KEY=VALUE]...`: what a run config may say, and
whether one says it (without running anything)."""
from pathlib import Path
from typing import Optional

import typer

from kit.cli.app import app, console

config_app = typer.Typer(help="Run configs: the schema they are validated against, and a check of one.",
                         no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("schema")
def schema_command(
    section: Optional[str] = typer.Argument(None, help="Only this section (e.g. refine, cluster)."),
) -> None:
    """Every key with its default and a one-line description (from the tables the validator checks against).

    Example: kit config schema refine
    """
    from kit.config import SECTIONS, schema

    rows = schema(section)
    width = min(max(len(r.key) for r in rows), 36)
    dwidth = min(max(len(r.default) for r in rows), 28)
    current = None
    for row in rows:
        top = row.key.split(".")[0].split(":")[0]
        if top != current and top != row.key:  # a section of several keys: a heading with what it is for
            typer.echo(f"{'' if current is None else chr(10)}# {top}: {SECTIONS[top]}")
        current = top
        typer.echo(f"{row.key:<{width}}  {row.default:<{dwidth}}  {row.doc}".rstrip())


@config_app.command("check")
def check_command(
    config: Path = typer.Argument(..., metavar="CONFIG", help="YAML run config."),
    overrides: list[str] = typer.Argument(None, metavar="KEY=VALUE", show_default=False,
                                          help="Dotted overrides as in `kit run` (~KEY deletes a key)."),
) -> None:
    """Validate a config as `kit run` would, without running a stage; print it with its defaults filled.

    Example: kit config check configs/digits.yaml pretrain.epochs=5 ~finetune
    """
    import yaml

    from kit.pipeline.runner import load_run_config

    cfg = load_run_config(config, list(overrides or []))
    typer.echo(yaml.safe_dump(cfg, sort_keys=False).rstrip())
    console.print(f"{config}: valid", markup=False, highlight=False)
