"""An image folder plus a CSV of id[,label]: ids match file names without their suffix."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kit.data.imageset import ImageSet
from kit.data.images import image_files, read_images
from kit.data.values import first_ids, parse_label_cells
from kit.errors import DataError


def load_folder_csv(folder: str, csv: str, id_column: str = "id", label_column: str = "label",
                    grayscale: bool | None = None, resize=None) -> ImageSet:
    """Labels may be class indices or class names (sorted into class_names); an empty label (or -1) means unknown."""
    folder_p, csv_p = Path(folder), Path(csv)
    if not folder_p.is_dir():
        raise DataError(f"{folder_p}: no such image folder")
    try:
        df = pd.read_csv(csv_p, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DataError(f"{csv_p}: no such file") from None
    except Exception as e:
        raise DataError(f"{csv_p}: unreadable CSV ({e})") from None
    if id_column not in df.columns:
        raise DataError(f"{csv_p}: no {id_column!r} column (columns: {list(df.columns)})")
    if df.empty:
        raise DataError(f"{csv_p}: no rows; an image set needs at least one image")
    ids = df[id_column].str.strip()
    empty = np.flatnonzero((ids == "").to_numpy())
    if len(empty):
        raise DataError(f"{csv_p}: empty id on line {empty[0] + 2}")
    dup = np.flatnonzero(ids.duplicated().to_numpy())
    if len(dup):
        raise DataError(f"{csv_p}: duplicate id {ids.iloc[dup[0]]!r} (line {dup[0] + 2})")
    files = {p.stem: p for p in image_files(folder_p)}
    missing = [i for i in ids if i not in files]
    if missing:
        raise DataError(f"{csv_p}: {len(missing)} ids have no image file in {folder_p} (first: {first_ids(missing)})")
    extra = sorted(set(files) - set(ids))
    if extra:
        raise DataError(f"{folder_p}: {len(extra)} image files have no row in {csv_p} (first: {first_ids(extra)})")
    labels, class_names = None, None
    if label_column in df.columns:
        labels, class_names = _parse_labels(df[label_column].str.strip(), csv_p)
    images = read_images([files[i] for i in ids], grayscale=grayscale, resize=resize)
    return ImageSet(ids=ids.to_numpy(), images=images, labels=labels, class_names=class_names)


def _parse_labels(col: pd.Series, csv_p: Path) -> tuple[np.ndarray, list[str] | None]:
    """Class indices, or class names (numeric-looking ones in numeric order); empty or -1 = unknown."""
    return parse_label_cells(col.tolist(), str(csv_p))
