"""Write a competition folder in one piece: into a temporary sibling, renamed over the target at the end."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from kit.data.imageset import ImageSet
from kit.io import MARKER, check_replaceable, make_temp_dir, safe_rmtree, write_csv, write_json

# What proves a folder is a competition kit made (older ones have only competition.json), so it may be replaced.
MARKERS = (MARKER, "competition.json")


def check_output(out: str | Path, overwrite: bool) -> Path:
    """Before any work: ``out`` is free, or (``overwrite``) a competition folder kit made; never the current folder."""
    return check_replaceable(out, overwrite, MARKERS)


def write_competition(out: Path, meta: dict, images: ImageSet, files: dict[str, pd.DataFrame]) -> Path:
    """competition.json, images.npz and ``files`` ({relative path: table}); a crash leaves no half-written folder."""
    out = Path(out)
    check_output(out, overwrite=True)  # again just before replacing: the folder may have changed meanwhile
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(out)
    try:
        write_json(tmp / "competition.json", meta)
        images.save(tmp / "images.npz")
        for rel, df in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            write_csv(tmp / rel, df)
        safe_rmtree(out, MARKERS)
        tmp.rename(out)
    finally:
        safe_rmtree(tmp)
    return out
