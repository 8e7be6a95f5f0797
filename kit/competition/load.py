"""Read a competition folder as a participant would: never touches hidden/."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kit.data.imageset import ImageSet
from kit.errors import DataError


@dataclass
class Competition:
    dir: Path
    name: str
    type: str
    metric: str
    n_classes: int
    class_names: list[str] | None
    images: ImageSet
    labeled: ImageSet | None
    pairs: pd.DataFrame | None
    sample_submission: pd.DataFrame

    @property
    def submission_ids(self) -> np.ndarray:
        return self.sample_submission["id"].to_numpy().astype(str)

    @property
    def image_ids_to_predict(self) -> np.ndarray:
        if self.type == "pairs":
            return np.unique(self.pairs[["image1", "image2"]].to_numpy().ravel().astype(str))
        return self.submission_ids

    @property
    def solution_path(self) -> Path:
        return self.dir / "hidden" / "solution.csv"


def load_competition(comp_dir: str | Path) -> Competition:
    comp_dir = Path(comp_dir)
    meta_path = comp_dir / "competition.json"
    if not meta_path.exists():
        raise DataError(f"{comp_dir}: not a competition folder (no competition.json)")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as e:
        raise DataError(f"{meta_path}: invalid JSON ({e})") from None
    for key in ("type", "metric", "n_classes"):
        if key not in meta:
            raise DataError(f"{meta_path}: missing key {key!r}")
    images = ImageSet.load(comp_dir / "images.npz")
    known = set(images.ids.tolist())
    sample = _read_csv(comp_dir / "sample_submission.csv", ["id", "label"])
    labeled = None
    if (comp_dir / "labeled.csv").exists():
        lab = _read_csv(comp_dir / "labeled.csv", ["id", "label"])
        _check_known(lab["id"], known, comp_dir / "labeled.csv")
        where = {i: n for n, i in enumerate(images.ids.tolist())}
        labeled = images.subset([where[i] for i in lab["id"]])
        labeled.labels = lab["label"].astype(np.int64).to_numpy()
    pairs = None
    if meta["type"] == "pairs":
        pairs = _read_csv(comp_dir / "pairs.csv", ["id", "image1", "image2"])
        for col in ("image1", "image2"):
            _check_known(pairs[col], known, comp_dir / "pairs.csv")
    else:
        _check_known(sample["id"], known, comp_dir / "sample_submission.csv")
    return Competition(
        dir=comp_dir, name=meta.get("name", comp_dir.name), type=meta["type"], metric=meta["metric"],
        n_classes=int(meta["n_classes"]), class_names=meta.get("class_names"), images=images, labeled=labeled,
        pairs=pairs, sample_submission=sample,
    )


def _read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"{path}: no such file")
    try:
        df = pd.read_csv(path, dtype={c: str for c in columns if c != "label"})
    except Exception as e:
        raise DataError(f"{path}: unreadable CSV ({e})") from None
    if list(df.columns) != columns:
        raise DataError(f"{path}: header must be {','.join(columns)}, got {','.join(map(str, df.columns))}")
    return df


def _check_known(ids: pd.Series, known: set[str], path: Path) -> None:
    unknown = [i for i in ids.astype(str) if i not in known]
    if unknown:
        raise DataError(f"{path}: {len(unknown)} ids are not in images.npz (first: {unknown[:5]})")
