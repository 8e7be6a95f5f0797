"""The root Typer app and the console every command prints through."""
import typer
from rich.console import Console

app = typer.Typer(
    name="kit",
    help="Image clustering and semi-supervised competitions: data -> pretrain -> extract -> reduce -> cluster -> submit -> score.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
