"""What produced a submission: enough to rerun it and to trust its score."""
from __future__ import annotations

import platform
import sys
import time
from pathlib import Path
from importlib import metadata as importlib_metadata
from typing import Any

PACKAGES = ("kit", "torch", "torchvision", "timm", "albumentations", "scikit-learn", "openTSNE", "numpy", "pandas")


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def submission_metadata(*, config: Any = None, config_hash: str = "", seed: int | None = None, **extra: Any) -> dict:
    from kit.competition.leaderboard import git_commit

    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": config,
        "config_hash": config_hash,
        "seed": seed,
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        **extra,
    }


def resolve_competition_path(comp: str, meta_path: Path) -> Path:
    """A submission .json's relative competition path: tried from the current folder, then from the JSON's folder."""
    path = Path(comp)
    if path.is_absolute() or path.exists():
        return path
    beside = meta_path.parent / path
    return beside if beside.exists() else path
