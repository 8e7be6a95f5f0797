"""submissions/leaderboard.csv: one row per scored submission, with what produced it (and for which competition).

Appends hold an exclusive lock on a hidden sidecar ``.<file>.lock`` for the whole read-modify-write, so parallel
`kit score` / `kit run` processes never lose each other's rows; the rewrite itself is atomic, so a crash never
truncates the history. A row with the same (file, digest, config_hash) as an earlier one is not added again:
re-scoring or re-running a cached config leaves the leaderboard as it was.

`kit run` copies a submission to a name of its own (``submission_dest``: ``<name>-<id>.csv``, the id a short hash of
the config hash and the content), so a row's file keeps the content whose digest the row records: a file is never
overwritten with other content.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from kit.errors import DataError
from kit.io import check_file_path, write_csv
from kit.paths import REPO_ROOT

COLUMNS = ["file", "competition", "time", "config_hash", "digest", "git_commit", "public", "private", "nmi", "ari",
           "validation", "validation_kind"]
IDENTITY = ("file", "digest", "config_hash")
REQUIRED = ("file", "public")  # what makes a CSV a kit leaderboard (older ones lack some COLUMNS)
DEFAULT_PATH = Path("submissions/leaderboard.csv")


def git_commit() -> str:
    """Short HEAD hash, '+dirty' when the working tree has changes; '' outside a git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
        if head.returncode:
            return ""
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return ""


def file_digest(path: str | Path) -> str:
    """sha256 of a submission's bytes ('' when the file is not there): same content, same digest."""
    path = Path(path)
    if not path.is_file():
        return ""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def locked(path: str | Path) -> Iterator[None]:
    """Exclusive flock on the hidden ``.<name>.lock`` beside ``path`` (as a stage lock): it stays, since deleting it
    would race with waiting processes, but out of sight of `ls` and of a folder of CSVs."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def append_entry(path: str | Path = DEFAULT_PATH, *, file: str, public: float, private: float,
                 nmi: float, ari: float, config_hash: str = "", git_commit: str = "", digest: str | None = None,
                 competition: str = "", validation: float | None = None, validation_kind: str = "",
                 extra: dict | None = None) -> bool:
    """Add one row unless an identical (file, digest, config_hash) row exists; True when a row was added.

    ``digest`` defaults to the sha256 of ``file``'s content; ``competition`` is the competition's name;
    ``validation`` the run's score without the hidden solution (kit.validation; NaN public/private when there is
    none, as on an imported competition).
    """
    path = Path(path)
    row = {"file": file, "competition": competition, "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
           "config_hash": config_hash, "digest": file_digest(file) if digest is None else digest,
           "git_commit": git_commit, "public": round(public, 6), "private": round(private, 6), "nmi": round(nmi, 6),
           "ari": round(ari, 6), "validation": "" if validation is None else round(validation, 6),
           "validation_kind": validation_kind, **(extra or {})}
    new = pd.DataFrame([row]).astype(str)
    check_leaderboard(path)
    with locked(path):
        old = _read(path) if path.exists() else pd.DataFrame(columns=COLUMNS)
        _check_columns(old, path)
        if _contains(old, new.iloc[0]):
            return False
        write_csv(path, pd.concat([old, new], ignore_index=True))
    return True


def check_leaderboard(path: str | Path, option: str | None = None) -> Path:
    """``path`` may take kit's leaderboard rows: missing, empty or a kit leaderboard. Anything else (a folder, a
    foreign CSV) is refused before any work, never rewritten."""
    path = check_file_path(path, option)
    if path.exists() and path.stat().st_size:
        _check_columns(_read(path), path)
    return path


def _check_columns(df: pd.DataFrame, path: Path) -> None:
    if len(df.columns) and not set(REQUIRED) <= set(df.columns):
        raise DataError(f"{path}: not a kit leaderboard (columns {','.join(map(str, df.columns))}, no "
                        f"{'/'.join(c for c in REQUIRED if c not in df.columns)}); kit adds rows only to its own "
                        "leaderboard CSV: name another file")


def read_leaderboard(path: str | Path = DEFAULT_PATH, competition: str | None = None) -> pd.DataFrame:
    """Entries sorted by public score, best first (ties: earlier first); scores as floats.

    ``competition``: only that competition's rows (rows of an older log without the column have none).
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no leaderboard yet (score a submission with `kit score` or `kit run`)")
    df = _read(path)
    if "competition" not in df:
        df.insert(1, "competition", "")
    if competition is not None:
        df = df[df["competition"] == competition]
    for col in ("public", "private", "nmi", "ari", "validation"):
        if col in df:
            df[col] = pd.to_numeric(df[col], errors="coerce")
    if "public" not in df:
        raise DataError(f"{path}: not a leaderboard CSV (no 'public' column)")
    key = "public" if df["public"].notna().any() or "validation" not in df else "validation"  # imported: validation
    return df.sort_values(key, ascending=False, kind="stable", na_position="last").reset_index(drop=True)


def _read(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=COLUMNS)
    except Exception as e:  # noqa: BLE001  corrupt or foreign file
        raise DataError(f"{path}: unreadable leaderboard CSV ({e})") from None


def _contains(old: pd.DataFrame, row: pd.Series) -> bool:
    if old.empty or not all(c in old for c in IDENTITY):
        return False
    same = pd.Series(True, index=old.index)
    for col in IDENTITY:
        same &= old[col].fillna("") == row[col]
    return bool(same.any())


def submission_id(config_hash: str, digest: str) -> str:
    """10 hex digits naming one (config, content) pair: a rerun that gives the same file gets the same name."""
    return hashlib.sha256(f"{config_hash}:{digest}".encode()).hexdigest()[:10]


def submission_dest(template: str | Path, *, config_hash: str, source: str | Path) -> tuple[Path, str | None]:
    """Where `kit run` copies ``source``: ``template`` with ``{id}`` replaced by ``submission_id``.

    A path that already holds another submission (other content, or another config hash in its .json) is never
    overwritten: ``-<id>`` is added to its stem instead, and the second value says so (None otherwise).
    """
    digest = file_digest(source)
    sid = submission_id(config_hash, digest)
    wanted = Path(str(template).replace("{id}", sid))
    if not _holds_other(wanted, digest, config_hash):
        return wanted, None
    dest = wanted.with_name(f"{wanted.stem}-{sid}{wanted.suffix}")
    if _holds_other(dest, digest, config_hash):
        raise DataError(f"{dest} holds another submission; choose another submit.copy_to")
    return dest, f"{wanted} holds another submission; writing {dest} instead (a submission is never overwritten)"


def _holds_other(path: Path, digest: str, config_hash: str) -> bool:
    if not path.exists():
        return False
    if file_digest(path) != digest:
        return True
    meta = path.with_suffix(".json")
    try:
        recorded = json.loads(meta.read_text()).get("config_hash", config_hash) if meta.exists() else config_hash
    except (OSError, ValueError, AttributeError):
        return True  # an unreadable record beside it: keep it as it is
    return recorded != config_hash


def same_file(a: Path, b: Path) -> bool:
    """One file under two names (a link, ./x and x), or two names of one path that does not exist yet."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def submission_digest(df: pd.DataFrame, comp) -> str:
    """sha256 of the bytes kit.submit.write_submission will write for ``df``: what a leaderboard row records."""
    from kit.competition import validate_submission
    from kit.submit.writer import csv_bytes

    return hashlib.sha256(csv_bytes(validate_submission(df, comp), comp)).hexdigest()


def check_not_scored(out: Path, digest: Callable[[], str], leaderboard: Path = DEFAULT_PATH, who: str = "kit") -> None:
    """A leaderboard row's file keeps the content the row scored: refuse to write other content over it (``who``
    names the writer in the error). Rewriting the same bytes is fine; an unreadable log records nothing to keep.
    ``digest()``: the new content's sha256, computed only when a row names ``out``."""
    from kit.errors import ConfigError

    leaderboard = Path(leaderboard)
    if not leaderboard.is_file() or not leaderboard.stat().st_size:
        return
    try:
        rows = pd.read_csv(leaderboard, dtype=str, keep_default_na=False)
    except Exception:  # noqa: BLE001
        return
    if "file" not in rows:
        return
    digests = rows["digest"] if "digest" in rows else pd.Series("", index=rows.index)
    new = None  # computed once, and only when a row names ``out``
    for file, recorded in zip(rows["file"], digests):
        if not file or not same_file(Path(file), Path(out)):
            continue
        new = digest() if new is None else new
        if recorded != new:
            raise ConfigError(f"--out {out} is the file of a row of {leaderboard} (scored with other content); "
                              f"{who} never overwrites a scored submission: choose another file")
