"""Entry point: import every command module (each registers itself) and turn KitError into a clean exit."""
import sys

from kit.cli.app import app, console
from kit.errors import KitError

# Each import registers one command (or command group) on ``app``.
from kit.cli import (  # noqa: F401,E402
    data,
    competition,
    pretrain,
    finetune,
    extract,
    reduce,
    cluster,
    submit,
    score,
    report,
    run,
)


def main() -> None:
    try:
        app(standalone_mode=False)
    except KitError as e:
        console.print(f"[bold red]error:[/] {e}")
        sys.exit(2)
    except (KeyboardInterrupt,):
        console.print("[yellow]interrupted[/]")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # click usage errors etc.
        import click

        # typer >= 0.2x vendors its own click (typer._click): match both by name, not by class
        names = {cls.__name__ for cls in type(e).__mro__}
        if isinstance(e, click.exceptions.ClickException) or "ClickException" in names:
            e.show()
            sys.exit(e.exit_code)
        if isinstance(e, click.exceptions.Abort) or "Abort" in names:
            sys.exit(1)
        raise


if __name__ == "__main__":
    main()
