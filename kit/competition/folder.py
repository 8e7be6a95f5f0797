"""Write a competition folder in one piece: into a temporary sibling, renamed over the target at the end."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from kit.data.imageset import ImageSet
from kit.errors import DataError
from kit.io import MARKER, check_replaceable, make_temp_dir, safe_rmtree, write_csv, write_json

# What proves a folder is a competition kit made (older ones have only competition.json), so it may be replaced.
MARKERS = (MARKER, "competition.json")
# Every file kit writes into a competition folder (make and import); anything else in one is the user's.
KIT_FILES = frozenset({MARKER, "competition.json", "images.npz", "sample_submission.csv", "labeled.csv", "pairs.csv",
                       "hidden/solution.csv"})
KIT_DIRS = frozenset({"hidden"})
SHOWN = 5  # foreign files named in a message


def check_output(out: str | Path, overwrite: bool, not_kit: str | None = None) -> Path:
    """Before any work: ``out`` is free, or (``overwrite``) a competition folder kit made; never the current folder.
    ``not_kit``: what to do about a folder kit did not make, when the caller knows better than "choose another
    output folder" (kit run, which imports a download into DIR.kit, has no output option)."""
    out = Path(out)
    if not_kit and overwrite and _user_folder(out):
        raise DataError(f"{out} was not made by kit (no {' or '.join(MARKERS)} in it); kit replaces only folders it "
                        f"made: {not_kit}")
    return check_replaceable(out, overwrite, MARKERS)


def _user_folder(out: Path) -> bool:
    """A non-empty real folder without kit's markers, that check_replaceable would refuse as "not made by kit"."""
    if out.is_symlink() or not out.is_dir():
        return False
    target, cwd = out.resolve(), Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        return False  # check_replaceable's own refusal ("the current folder") comes first
    return any(out.iterdir()) and not any((out / m).exists() for m in MARKERS)


def foreign_files(folder: str | Path) -> list[str]:
    """Paths (relative, '/'-separated, sorted) in ``folder`` that kit did not write there: anything besides KIT_FILES
    (and the temporary files of an interrupted atomic write of one of them). A folder of the user's is one entry
    ("notes/"); a symbolic link is never followed. [] for a missing or empty folder."""
    folder = Path(folder)
    if not folder.is_dir() or folder.is_symlink():
        return []
    found = []
    for root, dirs, files in os.walk(folder):
        rel_root = Path(root).relative_to(folder)
        for d in list(dirs):
            rel = (rel_root / d).as_posix()
            if rel not in KIT_DIRS or (Path(root) / d).is_symlink():
                found.append(rel + "/")
                dirs.remove(d)  # the user's folder: one entry, not its contents
        for f in files:
            rel = (rel_root / f).as_posix()
            if rel not in KIT_FILES and not _kit_temp(rel):
                found.append(rel)
    return sorted(found)


def _kit_temp(rel: str) -> bool:
    """'.images.npz.k3j2x.tmp.npz': kit.io's temporary file beside one of its own files."""
    parent, _, name = rel.rpartition("/")
    return any(name.startswith(f".{Path(own).name}.") and ".tmp" in name
               for own in KIT_FILES if own.rpartition("/")[0] == parent)


def describe_files(paths: list[str]) -> str:
    """'notes.txt, sub/' (at most SHOWN, then 'and N more')."""
    shown = ", ".join(paths[:SHOWN])
    return shown + (f" and {len(paths) - SHOWN} more" if len(paths) > SHOWN else "")


def check_foreign(out: str | Path, advice: str = "move your files out of it first") -> None:
    """Refuse (one line naming them) when ``out`` holds files kit did not write: replacing it would delete them."""
    found = foreign_files(out)
    if found:
        raise DataError(f"{out} holds {len(found)} file{'s' if len(found) > 1 else ''} kit did not write "
                        f"({describe_files(found)}); replacing the competition would delete "
                        f"{'them' if len(found) > 1 else 'it'}: {advice}")


def write_competition(out: Path, meta: dict, images: ImageSet, files: dict[str, pd.DataFrame], *,
                      delete_foreign: bool = False, foreign_advice: str = "move your files out of it first") -> Path:
    """competition.json, images.npz and ``files`` ({relative path: table}); a crash leaves no half-written folder.

    A folder being replaced that holds files kit did not write (foreign_files) is refused, naming them, unless
    ``delete_foreign`` (the user's explicit --overwrite of `kit competition make/import`)."""
    out = Path(out)
    check_output(out, overwrite=True)  # again just before replacing: the folder may have changed meanwhile
    if not delete_foreign:
        check_foreign(out, foreign_advice)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(out)
    try:
        try:
            write_json(tmp / "competition.json", meta)
            images.save(tmp / "images.npz")
            for rel, df in files.items():
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                write_csv(tmp / rel, df)
        except DataError as e:  # a full disk names the file the user asked for, not the staging folder's copy
            raise DataError(str(e).replace(str(tmp), str(out))) from None
        if not delete_foreign:
            check_foreign(out, foreign_advice)  # a file added while the images were written is kept too
        safe_rmtree(out, MARKERS)
        tmp.rename(out)
    finally:
        safe_rmtree(tmp)
    return out
