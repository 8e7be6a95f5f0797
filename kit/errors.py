"""Errors a user can act on. The CLI prints their message without a traceback."""


class KitError(Exception):
    """Base class for every error kit reports to the user."""


class DataError(KitError):
    """Input data is missing, corrupt or inconsistent (the message names the file)."""


class ConfigError(KitError):
    """A YAML config or CLI option is invalid (the message names the key)."""


class SubmissionError(KitError):
    """A submission CSV does not match the competition format (names the first bad rows)."""


class Interrupted(KitError):
    """Ctrl-C during long work; the message says how to resume. The CLI exits 130."""

    exit_code = 130


def warn_deprecated(old: str, new: str, why: str = "", where: str = "") -> None:
    """The one line every deprecated spelling (an option, a config key, a syntax) prints on stderr, whole:
    '[where: ]OLD is deprecated and will be removed; write NEW[ (why)]'. Plain text, so never wrapped."""
    import sys

    line = f"{where + ': ' if where else ''}{old} is deprecated and will be removed; write {new}"
    print(line + (f" ({why})" if why else ""), file=sys.stderr, flush=True)


def did_you_mean(value, choices) -> str:
    """'; did you mean 'x'?' for the closest of ``choices`` (difflib), or '' when none is close: the one hint of every
    unknown-name error."""
    import difflib

    hint = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
    return f"; did you mean {hint[0]!r}?" if hint else ""
