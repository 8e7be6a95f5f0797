"""Stage folders keyed by a hash of (stage config, input hashes): unchanged stages are skipped.

A stage folder is complete only once ``stage.json`` is written (last, atomically); anything else
found there is the remains of a crash and is resumed (pretrain) or rebuilt.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from kit.io import read_json, write_json

MARKER = "stage.json"


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


class StageDir:
    """One stage's output folder: runs/<name>/<stage>-<hash>/."""

    def __init__(self, run_dir: Path, stage: str, config: Any, inputs: dict[str, str]):
        self.stage = stage
        self.config = config
        self.inputs = inputs
        self.hash = hash_obj({"stage": stage, "config": config, "inputs": inputs})
        self.path = Path(run_dir) / f"{stage}-{self.hash}"

    @property
    def done(self) -> bool:
        return (self.path / MARKER).exists()

    def prepare(self, keep_partial: bool = False) -> Path:
        """Create the folder; wipe crash leftovers unless the stage can resume from them."""
        if self.path.exists() and not self.done and not keep_partial:
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        return self.path

    def finish(self, seconds: float, **extra: Any) -> None:
        write_json(
            self.path / MARKER,
            {"stage": self.stage, "hash": self.hash, "config": self.config, "inputs": self.inputs,
             "seconds": round(seconds, 3), **extra},
        )

    def info(self) -> dict[str, Any]:
        return read_json(self.path / MARKER)
