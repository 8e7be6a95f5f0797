"""Stage folders keyed by a hash of (stage config, input hashes, kit's code): unchanged stages are skipped.

A stage folder is complete only once ``stage.json`` is written (last, atomically); anything else
found there is the remains of a crash and is resumed (pretrain) or rebuilt. A stage is checked and built under
an exclusive lock, so two runs of one config build it once: the second waits, then reads the cache.
"""
from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from kit.io import MARKER as KIT_MARKER, make_dir, read_json, safe_rmtree, write_json

MARKER = "stage.json"
STAGE_MARKERS = (KIT_MARKER, MARKER)
# stages whose folders name no other folder (arrays, model weights and their json): a finished copy serves another
# run with the same stage hash, e.g. a bench row that only changes the clusterer does not retrain its network
SHAREABLE = ("pretrain", "finetune", "neighbors", "refine", "extract", "reduce", "cluster", "validate")
PACKAGE = Path(__file__).resolve().parents[1]


def hash_obj(obj: Any) -> str:
    """Stable hash of a JSON-able object (key order does not matter)."""
    blob = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def file_digest(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:12]


def folder_digest(folder: str | Path, names: list[str]) -> str:
    """Hash of the named files that exist in ``folder`` (contents, not times)."""
    folder = Path(folder)
    return hash_obj({n: file_digest(folder / n) for n in names if (folder / n).exists()})


@functools.lru_cache(maxsize=None)
def code_fingerprint() -> str:
    """kit's version + a hash of every ``*.py`` under the package: any code change reruns every stage.

    Lists of "the files a stage runs" drifted from the real imports and served stale results; one extra rerun
    is cheap, a stale result is not.
    """
    files = sorted(f for f in PACKAGE.rglob("*.py") if f.is_file())
    return hash_obj({"version": _version(), "files": {f.relative_to(PACKAGE).as_posix(): file_digest(f) for f in files}})


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("kit")
    except Exception:  # running from a source tree that is not installed
        return "0+unknown"


def _holder(f) -> int | None:
    """The pid written into a lock file by its holder (None when there is none yet, or it is not a number)."""
    try:
        f.seek(0)
        text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class StageDir:
    """One stage's output folder: runs/<name>/<stage>-<hash>/."""

    def __init__(self, run_dir: Path, stage: str, config: Any, inputs: dict[str, str]):
        self.stage = stage
        self.config = config
        self.inputs = inputs
        self.code = code_fingerprint()
        self.hash = hash_obj({"stage": stage, "config": config, "inputs": inputs, "code": self.code})
        self.path = Path(run_dir) / f"{stage}-{self.hash}"

    @property
    def lock_path(self) -> Path:
        """The hidden sidecar ``.<stage>-<hash>.lock`` (hidden, so ``<stage>-*`` globs never see it)."""
        return self.path.with_name(f".{self.path.name}.lock")

    @contextmanager
    def lock(self, on_wait: Callable[[int | None], None] | None = None) -> Iterator[None]:
        """Exclusive flock on :attr:`lock_path`: another process building this stage makes us wait, and we then find
        it done. ``on_wait(pid)`` is called once, before waiting, when another holds the lock (``pid``: the holder's,
        which it writes into the lock file; None when unknown), so a waiting run can say why it is silent. The lock
        file stays (deleting it would race with waiting processes)."""
        path = self.lock_path
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait(_holder(f))
                fcntl.flock(f, fcntl.LOCK_EX)
            try:
                f.seek(0)
                f.truncate()
                f.write(str(os.getpid()))
                f.flush()
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    @property
    def done(self) -> bool:
        return (self.path / MARKER).exists()

    def prepare(self, keep_partial: bool = False) -> Path:
        """Create the folder; wipe crash leftovers unless the stage can resume from them."""
        if self.path.exists() and not self.done and not keep_partial:
            safe_rmtree(self.path, STAGE_MARKERS)
        make_dir(self.path)
        return self.path

    def finish(self, seconds: float, **extra: Any) -> None:
        write_json(
            self.path / MARKER,
            {"stage": self.stage, "hash": self.hash, "config": self.config, "inputs": self.inputs, "code": self.code,
             "seconds": round(seconds, 3), **extra},
        )

    def info(self) -> dict[str, Any]:
        return read_json(self.path / MARKER)

    def twin(self) -> Path | None:
        """The same stage (same hash: config, inputs and code) finished in another run folder beside this one, when
        its outputs are plain arrays that name no other folder (SHAREABLE): copying it gives what building would."""
        if self.stage not in SHAREABLE:
            return None
        for other in sorted(self.path.parent.parent.glob(f"*/{self.path.name}")):
            if other != self.path and (other / MARKER).exists():
                return other
        return None

    def copy_from(self, twin: Path) -> None:
        """Copy a twin's folder in whole or not at all (a temp folder renamed into place)."""
        import shutil

        tmp = self.path.with_name(f".{self.path.name}.copy")
        if tmp.exists():
            shutil.rmtree(tmp)
        shutil.copytree(twin, tmp)
        if self.path.exists():
            safe_rmtree(self.path, STAGE_MARKERS)
        tmp.rename(self.path)
