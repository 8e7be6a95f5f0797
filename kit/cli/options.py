"""Options shared by several commands: repeated ``--opt key=value`` options parsed into typed values (the same syntax
as `kit run` overrides), and the competition folder given as an argument or as -c/--competition."""
from __future__ import annotations

from pathlib import Path

import typer

from kit.overrides import split_item

COMPETITION_OPTION_HELP = "Competition folder (the same as the COMPETITION argument: give one of the two)."


class CompetitionUsage(typer.BadParameter):
    """A usage error (exit 2) shown as its message alone: 'Error: give the competition folder: ...'."""

    def format_message(self) -> str:
        return self.message


def competition_option() -> typer.models.OptionInfo:
    """-c/--competition of the commands that also take the folder as their last positional argument."""
    return typer.Option(None, "--competition", "-c", help=COMPETITION_OPTION_HELP, show_default=False)


def competition_arg(positional: Path | None, option: Path | None) -> Path:
    """The competition folder, from the COMPETITION argument or -c/--competition: exactly one of them (or both
    naming the same folder). Neither, or two different folders, is a usage error (exit 2)."""
    if positional is not None and option is not None:
        if positional == option or positional.resolve() == option.resolve():
            return option
        raise CompetitionUsage(f"two competition folders: the COMPETITION argument {positional} and "
                               f"-c/--competition {option}; give one of them")
    folder = option if option is not None else positional
    if folder is None:
        raise CompetitionUsage("give the competition folder: -c/--competition PATH")
    return folder


def parse_options(items: list[str] | None, where: str = "--opt") -> dict:
    """["limit=500", "root=../x", "resize=[32, 32]"] -> {"limit": 500, "root": "../x", "resize": [32, 32]}."""
    return dict(split_item(item, where) for item in items or [])


