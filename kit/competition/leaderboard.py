"""submissions/leaderboard.csv: one row per scored submission, with what produced it."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pandas as pd

from kit.io import write_csv
from kit.paths import REPO_ROOT

COLUMNS = ["file", "time", "config_hash", "git_commit", "public", "private", "nmi", "ari"]


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


def append_entry(path: str | Path = "submissions/leaderboard.csv", *, file: str, public: float, private: float,
                 nmi: float, ari: float, config_hash: str = "", git_commit: str = "", extra: dict | None = None) -> Path:
    """Rewrite the log with one more row (atomic: a crash never truncates the history)."""
    path = Path(path)
    row = {"file": file, "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "config_hash": config_hash,
           "git_commit": git_commit, "public": round(public, 6), "private": round(private, 6),
           "nmi": round(nmi, 6), "ari": round(ari, 6), **(extra or {})}
    old = pd.read_csv(path, dtype=str) if path.exists() else pd.DataFrame(columns=COLUMNS)
    return write_csv(path, pd.concat([old, pd.DataFrame([row]).astype(str)], ignore_index=True))
