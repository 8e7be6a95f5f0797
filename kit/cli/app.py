"""The root Typer app and the console every command prints through."""
import typer
from rich.console import Console

# -h is an alias of --help on every command: click passes help_option_names down to sub-contexts.
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="kit",
    help="Image clustering and semi-supervised competitions: data -> pretrain -> extract -> reduce -> cluster -> submit -> score.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT_SETTINGS,
)
console = Console(stderr=True)


def kit_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kit")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"kit {kit_version()}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", "-V", callback=_show_version, is_eager=True,
                                 help="Print kit's version and exit."),
) -> None:
    """Image clustering and semi-supervised competitions: data -> pretrain -> extract -> reduce -> cluster -> submit -> score.

    Example: kit run configs/digits.yaml pretrain.epochs=5
    """
