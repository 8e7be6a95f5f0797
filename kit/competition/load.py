"""Read a competition folder as a participant would: never touches hidden/."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kit.data.imageset import ImageSet
from kit.data.values import first_ids
from kit.errors import DataError

TYPE_METRICS = {"label": ("accuracy", "cluster_accuracy"), "binary": ("binary_accuracy",), "pairs": ("pair_accuracy",)}


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
    sample_submission: pd.DataFrame  # always id,label here; submissions use ``submission_columns``
    submission_columns: tuple[str, str] = ("id", "label")  # the header Kaggle expects (an import keeps the sample's)
    label_names: list[str] | None = None  # the labels submissions carry, class index i -> label_names[i]; None: indices

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

    @property
    def unlabeled_classes(self) -> list[int]:
        """Classes no labeled image shows, when there are labeled images: integer labels are read as class ids
        0 .. max, so labels {1, 7, 8} make 9 classes, 6 of them never seen (worth a line to the user)."""
        if self.labeled is None or not len(self.labeled) or self.type == "pairs":
            return []
        return [int(c) for c in np.setdiff1d(np.arange(self.n_classes), self.labeled.labels)]

    def unlabeled_note(self) -> str:
        """One line naming the classes without a labeled image and why there are that many ('' when none)."""
        missing = self.unlabeled_classes
        if not missing:
            return ""
        shown = ", ".join(str(self.label_names[c]) if self.label_names else str(c) for c in missing[:10])
        more = " ..." if len(missing) > 10 else ""
        how = (f"integer labels are read as class ids 0 .. {self.n_classes - 1}; if the competition has only the "
               "labeled classes, number them from 0 or name them" if not self.class_names else
               "the class count came from --n-classes")
        return f"{len(missing)} of the {self.n_classes} classes have no labeled image ({shown}{more}): {how}"


def load_competition(comp_dir: str | Path) -> Competition:
    """Everything a participant may use; hidden/ is never opened (only its path is known)."""
    comp_dir = Path(comp_dir)
    meta_path = comp_dir / "competition.json"
    if not meta_path.exists():
        raise DataError(f"{comp_dir}: not a competition folder (no competition.json)")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as e:
        raise DataError(f"{meta_path}: invalid JSON ({e})") from None
    if not isinstance(meta, dict):
        raise DataError(f"{meta_path}: expected a JSON object")
    for key in ("type", "metric", "n_classes"):
        if key not in meta:
            raise DataError(f"{meta_path}: missing key {key!r}")
    if meta["type"] not in TYPE_METRICS:
        raise DataError(f"{meta_path}: type must be one of {sorted(TYPE_METRICS)}, got {meta['type']!r}")
    if meta["metric"] not in TYPE_METRICS[meta["type"]]:
        raise DataError(f"{meta_path}: metric {meta['metric']!r} does not fit type {meta['type']!r} "
                        f"(expected one of {TYPE_METRICS[meta['type']]})")
    images = ImageSet.load(comp_dir / "images.npz")
    known = set(images.ids.tolist())
    sample = _read_csv(comp_dir / "sample_submission.csv", ["id", "label"])
    _check_unique(sample["id"], comp_dir / "sample_submission.csv")
    labeled = None
    if (comp_dir / "labeled.csv").exists():
        lab_path = comp_dir / "labeled.csv"
        lab = _read_csv(lab_path, ["id", "label"])
        _check_known(lab["id"], known, lab_path)
        _check_unique(lab["id"], lab_path)
        values = pd.to_numeric(lab["label"], errors="coerce")
        bad = np.flatnonzero((values.isna() | (values % 1 != 0) | (values < 0)).to_numpy())
        if len(bad):
            raise DataError(f"{lab_path}: label on line {bad[0] + 2} is not a class index ({lab['label'].iloc[bad[0]]!r})")
        where = {i: n for n, i in enumerate(images.ids.tolist())}
        labeled = images.subset([where[i] for i in lab["id"]])
        labeled.labels = values.astype(np.int64).to_numpy()
    pairs = None
    if meta["type"] == "pairs":
        pairs = _read_csv(comp_dir / "pairs.csv", ["id", "image1", "image2"])
        _check_unique(pairs["id"], comp_dir / "pairs.csv")
        for col in ("image1", "image2"):
            _check_known(pairs[col], known, comp_dir / "pairs.csv")
        if set(pairs["id"]) != set(sample["id"]):
            raise DataError(f"{comp_dir / 'sample_submission.csv'}: ids differ from the pair ids in pairs.csv")
    else:
        _check_known(sample["id"], known, comp_dir / "sample_submission.csv")
    columns, label_names = _submission_format(meta, meta_path)
    return Competition(
        dir=comp_dir, name=meta.get("name", comp_dir.name), type=meta["type"], metric=meta["metric"],
        n_classes=int(meta["n_classes"]), class_names=meta.get("class_names"), images=images, labeled=labeled,
        pairs=pairs, sample_submission=sample, submission_columns=columns, label_names=label_names,
    )


def _submission_format(meta: dict, meta_path: Path) -> tuple[tuple[str, str], list[str] | None]:
    """competition.json "submission": {"columns": [id, label], "labels": "indices" | "names"} (default id,label
    with class indices): an imported download is answered in its own header and its own label names."""
    fmt = meta.get("submission") or {}
    columns = fmt.get("columns", ["id", "label"])
    if (not isinstance(columns, list) or len(columns) != 2 or not all(isinstance(c, str) and c for c in columns)
            or columns[0] == columns[1]):
        raise DataError(f"{meta_path}: submission.columns must be two different column names, got {columns!r}")
    kind = fmt.get("labels", "indices")
    if kind not in ("indices", "names"):
        raise DataError(f"{meta_path}: submission.labels must be indices or names, got {kind!r}")
    names = meta.get("class_names")
    if kind == "names" and (not isinstance(names, list) or len(names) != int(meta["n_classes"])):
        raise DataError(f"{meta_path}: submission.labels names needs class_names for all {meta['n_classes']} classes")
    return (columns[0], columns[1]), [str(n) for n in names] if kind == "names" else None


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


def _check_unique(ids: pd.Series, path: Path) -> None:
    dup = np.flatnonzero(ids.duplicated().to_numpy())
    if len(dup):
        raise DataError(f"{path}: duplicate id {str(ids.iloc[dup[0]])!r} on line {dup[0] + 2}")


def _check_known(ids: pd.Series, known: set[str], path: Path) -> None:
    unknown = [i for i in ids.astype(str) if i not in known]
    if unknown:
        raise DataError(f"{path}: {len(unknown)} ids are not in images.npz (first: {first_ids(unknown)})")
