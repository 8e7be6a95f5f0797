"""Options shared by several commands: repeated ``--opt key=value`` options parsed into typed values (the same syntax
as `kit run` overrides), the competition folder (-c/--competition; the old positional form still accepted), and the
one line that names a deprecated spelling."""
from __future__ import annotations

from pathlib import Path

import typer

from kit.errors import warn_deprecated
from kit.overrides import split_item

COMPETITION_OPTION_HELP = "Competition folder."


class CompetitionUsage(typer.BadParameter):
    """A usage error (exit 2) shown as its message alone: 'Error: give the competition folder: ...'."""

    def format_message(self) -> str:
        return self.message


def deprecated(command: str, old: str, new: str, why: str = "") -> None:
    """The one line a deprecated spelling prints on stderr, whole (never wrapped, whatever the terminal's width):
    'kit pretrain: the COMPETITION argument is deprecated and will be removed; write -c PATH (...)'."""
    warn_deprecated(old, new, why, where=f"kit {command}")


def competition_option(help: str = COMPETITION_OPTION_HELP) -> typer.models.OptionInfo:
    """-c/--competition of the commands that also took the folder as their last positional argument."""
    return typer.Option(None, "--competition", "-c", help=help, show_default=False)


def competition_positional() -> typer.models.ArgumentInfo:
    """The old positional COMPETITION: still accepted (with a deprecation line), no longer in --help."""
    return typer.Argument(None, show_default=False, hidden=True)


def _usage_pieces(self, ctx) -> list[str]:
    """A hidden argument (one still read for a release) stays out of the usage line too, not only the panel."""
    return [] if self.hidden else _TYPER_USAGE(self, ctx)


_TYPER_USAGE = typer.core.TyperArgument.get_usage_pieces
typer.core.TyperArgument.get_usage_pieces = _usage_pieces


def competition_arg(positional: Path | None, option: Path | None, command: str) -> Path:
    """The competition folder, from -c/--competition or, deprecated, the COMPETITION argument: one of them (or both
    naming the same folder). Neither, or two different folders, is a usage error (exit 2)."""
    if positional is not None and option is not None and positional.resolve() != option.resolve():
        raise CompetitionUsage(f"two competition folders: the COMPETITION argument {positional} and "
                               f"-c/--competition {option}; give one of them")
    if positional is not None:
        deprecated(command, "the COMPETITION argument", f"-c {positional}",
                   "the competition is -c/--competition in every command")
    folder = option if option is not None else positional
    if folder is None:
        raise CompetitionUsage("give the competition folder: -c/--competition PATH")
    return folder


def source_options(text: str, items: list[str] | None, where: str) -> dict:
    """A data source from 'KIND[:key=value,...]' plus repeated -O key=value; a key given both ways is an error,
    not a silent choice of one."""
    from kit.data.sources import source_spec
    from kit.errors import ConfigError

    spec, extra = source_spec(text, where), parse_options(items)
    both = sorted(set(spec) & set(extra))
    if both:
        raise ConfigError(f"{where} {text!r} and -O both set {', '.join(both)}: give each option once")
    return {**spec, **extra}


def parse_options(items: list[str] | None, where: str = "--opt") -> dict:
    """["limit=500", "root=../x", "resize=[32, 32]"] -> {"limit": 500, "root": "../x", "resize": [32, 32]}."""
    return dict(split_item(item, where) for item in items or [])


