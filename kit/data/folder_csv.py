"""An image folder plus a CSV of id[,label]: ids match file names without their suffix."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kit.data.imageset import ImageSet
from kit.data.images import IMAGE_SUFFIXES, read_images
from kit.errors import DataError


def load_folder_csv(folder: str, csv: str, id_column: str = "id", label_column: str = "label",
                    grayscale: bool | None = None, resize=None) -> ImageSet:
    folder_p, csv_p = Path(folder), Path(csv)
    if not folder_p.is_dir():
        raise DataError(f"{folder_p}: no such image folder")
    try:
        df = pd.read_csv(csv_p, dtype={id_column: str})
    except FileNotFoundError:
        raise DataError(f"{csv_p}: no such file") from None
    except Exception as e:
        raise DataError(f"{csv_p}: unreadable CSV ({e})") from None
    if id_column not in df.columns:
        raise DataError(f"{csv_p}: no {id_column!r} column (columns: {list(df.columns)})")
    ids = df[id_column].astype(str).str.strip()
    dup = ids[ids.duplicated()]
    if len(dup):
        raise DataError(f"{csv_p}: duplicate id {dup.iloc[0]!r} (row {dup.index[0] + 2})")
    files = {p.stem: p for p in sorted(folder_p.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}
    missing = [i for i in ids if i not in files]
    if missing:
        raise DataError(f"{csv_p}: {len(missing)} ids have no image file in {folder_p} (first: {missing[:5]})")
    extra = sorted(set(files) - set(ids))
    if extra:
        raise DataError(f"{folder_p}: {len(extra)} image files have no row in {csv_p} (first: {extra[:5]})")
    labels = None
    if label_column in df.columns:
        col = pd.to_numeric(df[label_column], errors="coerce")
        bad = col.isna() | (col % 1 != 0)
        if bad.any():
            raise DataError(f"{csv_p}: label in row {int(np.flatnonzero(bad)[0]) + 2} is not an integer")
        labels = col.astype(np.int64).to_numpy()
    images = read_images([files[i] for i in ids], grayscale=grayscale, resize=resize)
    return ImageSet(ids=ids.to_numpy(), images=images, labels=labels)
