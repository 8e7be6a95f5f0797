"""Where things live: the repository root and the shared data folder beside it."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")


def shared_data_dir() -> Path:
    """``$KIT_SHARED_DATA`` or ``../shared/data`` next to the repository (benchmarks and tests only)."""
    env = os.environ.get("KIT_SHARED_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


def cache_dir() -> Path:
    """Downloads (torchvision fallback) go here, never into the repository's tracked files."""
    env = os.environ.get("KIT_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "kit"
