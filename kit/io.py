"""Atomic file writes and safe folder removal: a crash or a full disk never leaves a half-written output behind,
and kit deletes only folders it made."""
from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, NoReturn, Sequence

import numpy as np

from kit.errors import ConfigError, DataError, KitError

MARKER = ".kit"  # written into every folder kit creates: the proof it needs before it deletes one
_MARKER_TEXT = "made by kit: kit may delete or replace this folder\n"
_FULL = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded"}
_REFUSED = (errno.EACCES, errno.EPERM, errno.EROFS)
_LOW_SPACE = 1 << 20  # bytes: a write that fails with less than this left failed for lack of space


# --- atomic writes ---------------------------------------------------------------------------------------------

@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it over ``path`` only on success."""
    with atomic_paths(path) as (tmp,):
        yield tmp


@contextmanager
def atomic_paths(*paths: str | os.PathLike) -> Iterator[tuple[Path, ...]]:
    """Temporary paths beside ``paths``, renamed over them only when the block succeeds: files that belong
    together (a submission and its metadata) appear together or not at all. A full disk becomes a DataError."""
    targets = [Path(p) for p in paths]
    for target in targets:
        check_file_path(target)
    tmps: list[Path] = []
    try:
        for target in targets:
            tmps.append(_temp_beside(target))
        yield tuple(tmps)
        mode = 0o666 & ~_umask()  # mkstemp makes 0600; give the files normal permissions
        for tmp, target in zip(tmps, targets):
            os.chmod(tmp, mode)
            os.replace(tmp, target)
    except Exception as e:  # noqa: BLE001  turned into one line only when it is the disk's fault
        _raise_write_error(e, targets[0])
    finally:
        for tmp in tmps:
            if tmp.exists():
                tmp.unlink()


def _temp_beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    return Path(tmp)


def _raise_write_error(e: Exception, path: Path) -> NoReturn:
    error = _write_error(e, path)
    if error is e:
        raise e
    raise error from None


def _write_error(e: Exception, path: Path) -> Exception:
    """A one-line DataError for a full disk or a refused write; any other error unchanged."""
    code = getattr(e, "errno", None)
    if code in _FULL:
        return DataError(f"{path}: {_FULL[code]}; nothing was written (free some space and rerun)")
    if code in _REFUSED:
        return DataError(f"{path}: cannot write ({e.strerror})")
    if not isinstance(e, KitError) and _disk_full(path.parent):  # torch.save & co. hide the errno
        return DataError(f"{path}: {_FULL[errno.ENOSPC]}; nothing was written (free some space and rerun)")
    return e


def _disk_full(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < _LOW_SPACE


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def json_text(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n"


def write_text(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    return write_text(path, json_text(obj))


def read_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text())


def write_npz(path: str | os.PathLike, **arrays: np.ndarray) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    return Path(path)


def write_csv(path: str | os.PathLike, df) -> Path:
    """Write a pandas DataFrame without its index, atomically."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)
    return Path(path)


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


# --- output paths ----------------------------------------------------------------------------------------------

def check_file_path(path: str | os.PathLike, option: str | None = None) -> Path:
    """``path`` can be written as a file: it is not a folder and no folder above it is a file."""
    path = Path(path)
    if path.is_dir():
        raise _path_error(option, f"{path} is a folder; expected a file path")
    _check_parents(path, option)
    return path


def check_dir_path(path: str | os.PathLike, option: str | None = None) -> Path:
    """``path`` can be used as an output folder: it is not a file and no folder above it is a file."""
    path = Path(path)
    if os.path.lexists(path) and not path.is_dir():
        raise _path_error(option, f"{path} is a file; expected a folder")
    _check_parents(path, option)
    return path


def _check_parents(path: Path, option: str | None) -> None:
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise _path_error(option, f"{parent} is a file, so {path} cannot be created inside it")
            return


def _path_error(option: str | None, message: str) -> Exception:
    return ConfigError(f"{option} {message}") if option else DataError(message)


# --- folders kit makes, and may delete -------------------------------------------------------------------------

def make_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` (and its parents) with kit's marker in it, so kit may delete it later."""
    path = Path(path)
    check_dir_path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        _raise_write_error(e, path)
    if not (path / MARKER).exists():
        write_text(path / MARKER, _MARKER_TEXT)
    return path


def make_temp_dir(beside: str | os.PathLike) -> Path:
    """A new marked folder next to ``beside`` (same file system, so it can be renamed over it)."""
    beside = Path(beside).absolute()
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{beside.name}.", dir=beside.parent))
    except OSError as e:
        _raise_write_error(e, beside)
    try:
        write_text(tmp / MARKER, _MARKER_TEXT)
    except BaseException:
        tmp.rmdir()
        raise
    return tmp


def check_replaceable(path: str | os.PathLike, overwrite: bool, markers: str | Sequence[str] = MARKER) -> Path:
    """Fail before any work unless ``path`` is free (missing or an empty folder) or, with ``overwrite``, a folder
    kit made (holds one of ``markers``). The current folder and the folders above it are never replaced."""
    path = Path(path)
    if os.path.lexists(path) and not path.is_dir():
        raise DataError(f"{path} exists and is not a folder")
    check_dir_path(path)
    _refuse_cwd(path)
    if not path.is_dir() or not any(path.iterdir()):
        return path
    if not overwrite:
        raise DataError(f"{path} already exists; pass overwrite=True (--overwrite) to replace it")
    if not _has_marker(path, markers):
        raise DataError(f"{path} was not made by kit (no {' or '.join(_names(markers))} in it); kit replaces only "
                        "folders it made: choose another output folder or move it away yourself")
    return path


def safe_rmtree(path: str | os.PathLike, marker: str | Sequence[str] = MARKER) -> None:
    """Delete a folder kit made: it must hold ``marker`` (one of them) or be empty, and must not be the current
    folder or above it. A symbolic link is unlinked, never followed. A missing path is fine."""
    path = Path(path)
    if not os.path.lexists(path):
        return
    _refuse_cwd(path)
    if not path.is_dir():
        raise DataError(f"{path} is not a folder; kit deletes only folders it made")
    if not _has_marker(path, marker) and any(path.iterdir()):
        raise DataError(f"{path} was not made by kit (no {' or '.join(_names(marker))} in it); "
                        "refusing to delete it")
    if path.is_symlink():
        path.unlink()
    else:
        shutil.rmtree(path)


def _refuse_cwd(path: Path) -> None:
    if path.is_symlink():
        return  # only the link itself would go
    target, cwd = path.resolve(), Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        where = "the current folder" if target == cwd else "a folder above the current one"
        raise DataError(f"{path} is {where}; kit never deletes or replaces it (name a new folder)")


def _has_marker(path: Path, markers: str | Sequence[str]) -> bool:
    return any((path / m).exists() for m in _names(markers))


def _names(markers: str | Sequence[str]) -> tuple[str, ...]:
    return (markers,) if isinstance(markers, str) else tuple(markers)
