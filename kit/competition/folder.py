"""Write a competition folder in one piece: into a temporary sibling, renamed over the target at the end."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd

from kit.data.imageset import ImageSet
from kit.io import write_csv, write_json


def write_competition(out: Path, meta: dict, images: ImageSet, files: dict[str, pd.DataFrame]) -> Path:
    """competition.json, images.npz and ``files`` ({relative path: table}); a crash leaves no half-written folder."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        write_json(tmp / "competition.json", meta)
        images.save(tmp / "images.npz")
        for rel, df in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            write_csv(tmp / rel, df)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out
