"""Entry point: import every command module (each registers itself) and turn errors into Click-style exits.

Exit codes: 0 ok, 2 usage error or KitError ("error: <message>", no traceback), 130 Ctrl-C, 1 abort.
"""
import sys

from rich.text import Text

from kit.cli.app import app, console
from kit.errors import KitError

# Each import registers one command (or command group) on ``app``.
from kit.cli import (  # noqa: F401,E402
    data,
    competition,
    pretrain,
    finetune,
    refine,
    extract,
    reduce,
    cluster,
    submit,
    score,
    blend,
    leaderboard,
    report,
    run,
    sweep,
    experiment,
    config,
)

INTERRUPTED = 130


def main(args: list[str] | None = None) -> None:
    import signal

    # A shell starts background jobs with SIGINT ignored, and Python keeps that: restore Ctrl-C so that a kit
    # started from a script or a test can still be interrupted (and exit 130 with how to resume).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        rv = app(args=args, prog_name="kit", standalone_mode=False)
    except KitError as e:
        code = getattr(e, "exit_code", 2)
        if code == INTERRUPTED:
            _say(Text(str(e) or "interrupted", style="yellow"))
        else:
            _say(Text.assemble(("error: ", "bold red"), str(e)))
        sys.exit(code)
    except KeyboardInterrupt:  # Ctrl-C outside the command (typer turns one inside it into exit code 130)
        rv = INTERRUPTED
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001  click usage errors: matched by name, typer vendors its own click
        sys.exit(_click_exit(e))
    if isinstance(rv, int) and not isinstance(rv, bool) and rv != 0:
        if rv == INTERRUPTED:
            _say(Text("interrupted", style="yellow"))
        sys.exit(rv)


def _click_exit(e: Exception) -> int:
    """Show a click/typer exception the way click does (usage, hint, one 'Error:' line); re-raise anything else."""
    names = {cls.__name__ for cls in type(e).__mro__}
    if "ClickException" in names:
        e.show()
        return int(getattr(e, "exit_code", 2))
    if "Abort" in names:
        print("Aborted!", file=sys.stderr)
        return 1
    if "Exit" in names and hasattr(e, "exit_code"):
        return int(e.exit_code)
    raise e


def _say(text: Text) -> None:
    """One unwrapped line of plain Text: rich markup would swallow '[...]' in messages such as id lists."""
    console.print(text, soft_wrap=True)


if __name__ == "__main__":
    main()
