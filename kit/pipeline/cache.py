"""Stage folders keyed by a hash of (stage config, input hashes): unchanged stages are skipped.

A stage folder is complete only once ``stage.json`` is written (last, atomically); anything else
found there is the remains of a crash and is resumed (pretrain) or rebuilt.
"""
from __future__ import annotations

import functools
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from kit.io import read_json, write_json

MARKER = "stage.json"
PACKAGE = Path(__file__).resolve().parents[1]
# The parts of kit each stage's output depends on (beside its config and inputs): editing one of these files
# reruns that stage and everything downstream of it, and nothing else.
STAGE_CODE = {
    "pretrain": ["train", "models", "io.py"],
    "finetune": ["train", "models", "io.py"],
    "neighbors": ["neighbors.py", "descriptors.py", "refine/train.py", "train/inference.py", "train/loop.py", "models"],
    "refine": ["refine", "train", "models", "io.py", "descriptors.py"],
    "extract": ["train/extract.py", "train/inference.py", "train/loop.py", "models", "features.py", "descriptors.py"],
    "reduce": ["reduce", "features.py", "pipeline/stages.py"],
    "cluster": ["cluster", "registry.py", "features.py", "pipeline/stages.py"],
    "submit": ["submit", "competition", "features.py"],
}


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
def code_fingerprint(stage: str) -> str:
    """kit's version + a hash of the source files ``stage`` runs (STAGE_CODE), so a code fix reruns the stage."""
    files: list[Path] = []
    for part in STAGE_CODE.get(stage, ["."]):
        path = PACKAGE / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.exists() else []
    return hash_obj({"version": _version(), "files": {str(f.relative_to(PACKAGE)): file_digest(f) for f in files}})


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("kit")
    except Exception:  # running from a source tree that is not installed
        return "0+unknown"


class StageDir:
    """One stage's output folder: runs/<name>/<stage>-<hash>/."""

    def __init__(self, run_dir: Path, stage: str, config: Any, inputs: dict[str, str]):
        self.stage = stage
        self.config = config
        self.inputs = inputs
        self.code = code_fingerprint(stage)
        self.hash = hash_obj({"stage": stage, "config": config, "inputs": inputs, "code": self.code})
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
            {"stage": self.stage, "hash": self.hash, "config": self.config, "inputs": self.inputs, "code": self.code,
             "seconds": round(seconds, 3), **extra},
        )

    def info(self) -> dict[str, Any]:
        return read_json(self.path / MARKER)
