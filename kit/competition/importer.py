"""Turn a Kaggle-style download (image folders or .npy arrays + sample_submission.csv) into a competition folder.

Kaggle hands out no answers, so an imported competition has no hidden/solution.csv unless the download has one:
`kit run` / `kit submit` work on it, `kit score` needs the solution. Every choice the auto-detection cannot make
alone (two sample files, folders and arrays side by side, an id naming two images) fails with one line that lists
what was found and the option that settles it (--sample, --labels, --images).
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from kit.data.imageset import ImageSet
from kit.data.images import IMAGE_SUFFIXES, image_files, read_images
from kit.data.npy import to_uint8_nhwc
from kit.data.values import first_ids, parse_label_cells
from kit.competition.validate import TYPES
from kit.errors import ConfigError, DataError
from kit.competition.folder import check_foreign, check_output, write_competition
from kit.io import read_json

IMPORT_FORMAT = 2  # raised when an import writes different files from the same download (2: submission header, names)
LABEL_STEMS = ("train", "trainlabels", "trainlabel", "labels", "label", "training", "traininglabels")
_ARRAY_ROLES = {"x": "images", "images": "images", "imgs": "images", "data": "images", "y": "labels",
                "labels": "labels", "label": "labels", "targets": "labels", "target": "labels", "ids": "ids",
                "id": "ids", "names": "ids", "filenames": "ids"}
_ARRAY_PREFIXES = ("validation", "unlabelled", "unlabeled", "train", "valid", "test", "val", "")


def is_raw_download(dir: str | Path) -> bool:
    """True for a folder with a sample submission but no competition.json: import it before use."""
    d = Path(dir)
    return d.is_dir() and not (d / "competition.json").exists() and bool(_sample_candidates(d))


def import_competition(src: str | Path, out: str | Path, *, type: str | None = None, n_classes: int | None = None,
                       images: Sequence[str | Path] | None = None, labels: str | Path | None = None,
                       sample: str | Path | None = None, solution: str | Path | None = None, name: str | None = None,
                       resize: Sequence[int] | None = None, extras: bool = True, overwrite: bool = False) -> Path:
    """Write ``out`` from the download ``src``; returns ``out``. Built in a temporary folder, renamed at the end.

    ``type``: label | binary | pairs (default: pairs when the sample has image1,image2 columns, else label).
    ``images``/``labels``/``sample``/``solution`` name files when auto-detection is ambiguous (relative paths are
    tried against the current folder, then ``src``). ``extras``: also keep images neither in the sample nor labeled
    (usable for pretraining). ``overwrite``: replace a competition folder kit made, but never files kit did not
    write in it (they are named, and nothing is touched): `kit run` re-imports a changed download this way.
    """
    return _import_competition(src, out, type=type, n_classes=n_classes, images=images, labels=labels, sample=sample,
                               solution=solution, name=name, resize=resize, extras=extras, overwrite=overwrite)


def import_replacing(src: str | Path, out: str | Path, **options) -> Path:
    """`kit competition import --overwrite`: the user asked to replace ``out``, so files kit did not write in it
    (kit.competition.folder.foreign_files) are deleted with it; the CLI names them."""
    return _import_competition(src, out, overwrite=True, delete_foreign=True, **options)


def _import_competition(src: str | Path, out: str | Path, *, type: str | None = None, n_classes: int | None = None,
                        images: Sequence[str | Path] | None = None, labels: str | Path | None = None,
                        sample: str | Path | None = None, solution: str | Path | None = None, name: str | None = None,
                        resize: Sequence[int] | None = None, extras: bool = True, overwrite: bool = False,
                        delete_foreign: bool = False) -> Path:
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise DataError(f"{src}: no such download folder")
    opts = _options(src, type=type, n_classes=n_classes, images=images, labels=labels, sample=sample,
                    solution=solution, resize=resize, extras=extras)
    if out.resolve() == src.resolve():
        raise ConfigError(f"--out {out}: must differ from the download folder")
    not_kit, foreign = _advice(src, out)
    check_output(out, overwrite, not_kit)
    if overwrite and not delete_foreign:
        check_foreign(out, foreign)  # before any work; write_competition checks again just before replacing

    sample_path = Path(opts["sample"]) if opts["sample"] else _only(_sample_candidates(src), src, "sample submission",
                                                                    "--sample", required=True)
    sample_df, ctype = _read_sample(sample_path, opts["type"])
    entries, layout, sources = _pool(src, opts["images"], out)
    rows, predict, taken = _predicted(entries, sample_df, ctype, layout, sample_path, sources)
    labels_path = Path(opts["labels"]) if opts["labels"] else _only(_label_candidates(src, sample_path), src,
                                                                    "label file", "--labels")
    class_names = _apply_labels(entries, labels_path, src, taken, sources) if labels_path else None
    keep = list(dict.fromkeys(predict + [n for n, e in enumerate(entries) if e.label >= 0 or opts["extras"]]))
    for n in keep:  # everything else is named by its file (or array id), by its path when that name is taken
        e = entries[n]
        if e.id is None:
            e.id = e.default_id if e.default_id not in taken else e.name
            taken.add(e.id)
    labeled = [n for n in keep if entries[n].label >= 0]
    k, class_names = _n_classes(ctype, opts["n_classes"], [entries[n].label for n in labeled], class_names,
                                sample_path, labels_path)
    image_set = ImageSet(ids=[entries[n].id for n in keep], images=_pixels([entries[n] for n in keep], opts["resize"]))
    solution_path = Path(opts["solution"]) if opts["solution"] else _auto_solution(src)
    sol = _read_solution(solution_path, rows["id"]) if solution_path else None

    meta = {
        "name": name or out.name, "type": ctype, "metric": _metric(ctype, bool(labeled)), "n_classes": k,
        "class_names": class_names, "image_shape": list(image_set.images.shape[1:]), "n_images": len(image_set),
        "n_labeled": len(labeled), "n_rows": len(rows), "seed": None, "groups": None,
        "public_fraction": None if sol is None else float((sol["Usage"] == "Public").mean()),
        "source": {"kind": "import", "dir": str(src.resolve())},
        "import": {**import_signature(src, **opts), "layout": layout, "images": sources,
                   "sample": _rel(sample_path, src), "sample_columns": list(map(str, sample_df.columns)),
                   "labels": labels_path and _rel(labels_path, src), "solution": solution_path and _rel(solution_path, src)},
    }
    meta["submission"] = {"columns": _submission_columns(sample_df, ctype),
                          "labels": "names" if class_names and ctype != "pairs" else "indices"}
    files = {"sample_submission.csv": pd.DataFrame({"id": rows["id"], "label": 0})}
    if labeled:
        files["labeled.csv"] = pd.DataFrame({"id": [entries[n].id for n in labeled],
                                             "label": [entries[n].label for n in labeled]})
    if ctype == "pairs":
        files["pairs.csv"] = rows
    if sol is not None:  # the answer key keeps the submission's own header, as on Kaggle
        files["hidden/solution.csv"] = sol.set_axis([*meta["submission"]["columns"], "Usage"], axis=1)
    return write_competition(out, meta, image_set, files, delete_foreign=delete_foreign, foreign_advice=foreign)


def _advice(src: Path, out: Path) -> tuple[str, str]:
    """What to do about a user folder at ``out`` and about files kit did not write in it: `kit run` imports a
    download DIR into DIR.kit beside it (it has no -o), so that case points at the folder and competition.dir."""
    if out.absolute() != (src.parent / f"{src.name}.kit").absolute():
        return "choose another --out folder or move it away yourself", "move your files out of it first"
    elsewhere = f"or import the download elsewhere (kit competition import {src} -o DIR) and set competition.dir: DIR"
    return (f"rename or move {out} away (kit run imports the download {src} into {out} beside it), {elsewhere}",
            f"move your files out of {out} (kit run imports the download {src} into it again whenever it changes), "
            + elsewhere)


def _predicted(entries: list[_Entry], sample: pd.DataFrame, ctype: str, layout: str, sample_path: Path,
               sources: list[str]) -> tuple[pd.DataFrame, list[int], set[str]]:
    """The sample's rows (id[,image1,image2]) in canonical ids, and the entries they need: these keep the sample's ids."""
    id_col = sample.columns[0]
    if ctype == "pairs":
        c1, c2 = _pair_columns(sample)
        refs = list(pd.unique(np.concatenate([sample[c1].to_numpy(), sample[c2].to_numpy()])))
    else:
        refs = sample[id_col].tolist()
    _assign_sample_ids(entries, refs, layout, sample_path)
    predict = _resolve(refs, entries, _index(entries), sample_path, lambda g: "test" in g.lower(), sources)
    canon: dict[str, str] = {}
    for ref, e in zip(refs, predict):
        if entries[e].id is None:
            entries[e].id = ref
        elif ctype != "pairs":
            raise DataError(f"{sample_path}: ids {str(entries[e].id)!r} and {str(ref)!r} name the same image "
                            f"{entries[e].name}")
        canon[ref] = entries[e].id  # pairs may spell one image two ways: pairs.csv uses the first
    if ctype == "pairs":
        rows = pd.DataFrame({"id": sample[id_col], "image1": sample[c1].map(canon), "image2": sample[c2].map(canon)})
    else:
        rows = pd.DataFrame({"id": sample[id_col]})
    return rows, list(dict.fromkeys(predict)), set(canon.values())


def _apply_labels(entries: list[_Entry], path: Path, src: Path, taken: set[str], sources: list[str]) -> list[str] | None:
    """Label the entries the CSV names (preferring train/ and the CSV's own folder); returns its class names."""
    if any(e.label >= 0 for e in entries):
        raise DataError(f"{path}: the .npy arrays carry labels too; keep one source of labels")
    lab_ids, codes, class_names = _read_labels(path)
    lab_dir = _rel(path.parent, src)
    prefer = lambda g: "train" in g.lower() or (lab_dir != "." and g.startswith(lab_dir))  # noqa: E731
    seen: dict[int, str] = {}
    for lab_id, e, code in zip(lab_ids, _resolve(lab_ids, entries, _index(entries), path, prefer, sources), codes):
        if e in seen:
            raise DataError(f"{path}: ids {str(seen[e])!r} and {str(lab_id)!r} name the same image {entries[e].name}")
        seen[e] = lab_id
        entries[e].label = code
        if entries[e].id is None and lab_id not in taken:
            entries[e].id = lab_id
            taken.add(lab_id)
    return class_names


def _submission_columns(sample: pd.DataFrame, ctype: str) -> list[str]:
    """The header Kaggle expects back: the sample's own (ImageId,Label stays ImageId,Label). A pairs sample gives
    its id column and its one column besides image1,image2 (else "label")."""
    cols = list(map(str, sample.columns))
    if ctype != "pairs":
        return cols
    rest = [c for c in cols[1:] if c.lower() not in ("image1", "image2")]
    return [cols[0], rest[0] if len(rest) == 1 else "label"]


def _metric(ctype: str, has_labels: bool) -> str:
    if ctype == "label":
        return "accuracy" if has_labels else "cluster_accuracy"
    return "binary_accuracy" if ctype == "binary" else "pair_accuracy"




def import_signature(src: str | Path, **options) -> dict:
    """What competition.json "import" records to tell a re-import apart: folder, options, a digest of its files."""
    src = Path(src)
    options = {k: v for k, v in options.items() if k not in ("name", "overwrite")}  # they change no content
    opts = _options(src, **options)
    digest = hashlib.sha256()
    for path in _walk_files(src):
        st = path.stat()
        digest.update(f"{_rel(path, src)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return {"dir": str(src.resolve()), "options": opts, "files": digest.hexdigest(), "format": IMPORT_FORMAT}


def import_is_current(src: str | Path, out: str | Path, **options) -> bool:
    """True when ``out`` was imported from ``src`` with these options and the download has not changed since."""
    meta_path = Path(out) / "competition.json"
    if not meta_path.exists():
        return False
    try:
        recorded = read_json(meta_path).get("import") or {}
    except Exception:
        return False
    now = import_signature(src, **options)
    return all(recorded.get(key) == value for key, value in now.items())


# --- options --------------------------------------------------------------------------------------------------

def _options(src: Path, *, type=None, n_classes=None, images=None, labels=None, sample=None, solution=None,
             resize=None, extras=True, **unknown) -> dict:
    if unknown:
        raise ConfigError(f"unknown import option(s): {sorted(unknown)}")
    if type is not None and type not in TYPES:
        raise ConfigError(f"--type must be one of {TYPES}, got {type!r}")
    if n_classes is not None and (not isinstance(n_classes, (int, np.integer)) or n_classes < 2):
        raise ConfigError(f"--n-classes must be an integer >= 2, got {n_classes!r}")
    if resize is not None:
        try:
            resize = [int(v) for v in resize]
        except (TypeError, ValueError):
            raise ConfigError(f"--resize must be two sizes H,W, got {resize!r}") from None
        if len(resize) != 2 or min(resize) < 1:
            raise ConfigError(f"--resize must be two positive sizes H,W, got {resize}")
    if isinstance(images, (str, Path)):
        images = [images]
    return {"type": type, "n_classes": None if n_classes is None else int(n_classes),
            "images": [_locate(p, src, "--images") for p in images or []],
            "labels": _locate(labels, src, "--labels"), "sample": _locate(sample, src, "--sample"),
            "solution": _locate(solution, src, "--solution"), "resize": resize, "extras": bool(extras)}


def _locate(path, src: Path, option: str) -> str | None:
    """A path as given (relative to the current folder), else relative to the download folder."""
    if path is None or str(path) == "":
        return None
    p = Path(path)
    for cand in (p, src / p):
        if cand.exists():
            return str(cand.resolve())
    raise ConfigError(f"{option} {path}: no such file or folder (also looked in {src})")


# --- finding files ---------------------------------------------------------------------------------------------

def _norm(stem: str) -> str:
    return re.sub(r"[^a-z0-9]", "", stem.lower())


def _sample_candidates(src: Path) -> list[Path]:
    return sorted(p for p in src.iterdir() if p.is_file() and p.suffix.lower() == ".csv"
                  and _norm(p.stem) in ("samplesubmission", "samplesub"))


def _label_candidates(src: Path, sample_path: Path) -> list[Path]:
    found = []
    for folder in [src] + sorted(d for d in src.iterdir() if d.is_dir() and not d.name.startswith(".")):
        found += [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv"
                  and _norm(p.stem) in LABEL_STEMS and p.resolve() != sample_path.resolve()]
    return sorted(found)


def _auto_solution(src: Path) -> Path | None:
    p = src / "solution.csv"
    return p if p.is_file() else None


def _only(found: list[Path], src: Path, what: str, option: str, required: bool = False) -> Path | None:
    if len(found) > 1:
        raise DataError(f"{src}: found {len(found)} {what}s ({', '.join(_rel(p, src) for p in found)}); "
                        f"pass {option} to pick one")
    if not found and required:
        csvs = sorted(_rel(p, src) for p in src.iterdir() if p.suffix.lower() == ".csv")
        raise DataError(f"{src}: no sample_submission.csv (CSV files: {csvs or 'none'}); pass {option} FILE")
    return found[0] if found else None


def _walk_files(root: Path):
    """Files of a download, skipping dot-folders and kit competition folders inside it."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and not (Path(dirpath) / d / "competition.json").exists())
        for f in sorted(filenames):
            if not f.startswith("."):
                yield Path(dirpath) / f


def _rel(path: Path, src: Path) -> str:
    """Path relative to the download folder when inside it (as recorded in competition.json), else absolute."""
    path, src = Path(path).resolve(), Path(src).resolve()
    try:
        return path.relative_to(src).as_posix()
    except ValueError:
        return str(path)


# --- the pool of images ----------------------------------------------------------------------------------------

@dataclass
class _Entry:
    name: str                    # where it comes from: "test/0000.png" or "testX.npy[3]"
    keys: tuple[str, ...]        # spellings an id may use to name it
    group: str                   # its folder or array group (prefers test/ for the sample, train/ for labels)
    default_id: str
    path: Path | None = None     # an image file ...
    array: tuple[str, int] | None = None  # ... or a row of an .npy array
    label: int = -1
    id: str | None = None


def _pool(src: Path, explicit: list[str], out: Path) -> tuple[list[_Entry], str, list[str]]:
    """Every image of the download, from folders of image files or from .npy arrays (never both at once)."""
    if explicit:
        paths = [Path(p) for p in explicit]
        folders = [p for p in paths if p.is_dir()]
        arrays = [p for p in paths if p.is_file() and p.suffix.lower() == ".npy"]
        other = [p for p in paths if p not in folders and p not in arrays]
        if other:
            raise ConfigError(f"--images {other[0]}: expected an image folder or an .npy array")
        if folders and arrays:
            raise ConfigError("--images: give image folders or .npy arrays, not both")
    else:
        files = [p for p in _walk_files(src) if Path(out).resolve() not in p.resolve().parents]
        folders = sorted({p.parent for p in files if p.suffix.lower() in IMAGE_SUFFIXES})
        arrays = [p for p in files if p.suffix.lower() == ".npy" and p.parent == src]
        if folders and arrays:
            raise DataError(f"{src}: ambiguous layout: image folders ({', '.join(_rel(f, src) for f in folders[:5])}) "
                            f"and .npy arrays ({', '.join(p.name for p in arrays[:5])}); pass --images to pick")
        if not folders and not arrays:
            zips = [p.name for p in files if p.suffix.lower() in (".zip", ".tar", ".gz", ".7z")]
            raise DataError(f"{src}: no image files or .npy arrays found"
                            + (f" (unpack {', '.join(zips[:5])} first)" if zips else ""))
    sources = [_rel(p, src) for p in (folders or arrays)]
    if folders:
        return _file_entries(src, folders, recursive=bool(explicit)), "folders", sources
    return _array_entries(src, arrays, explicit=bool(explicit)), "npy", sources


def _file_entries(src: Path, folders: list[Path], recursive: bool) -> list[_Entry]:
    dirs = folders
    if recursive:  # an --images folder includes its subfolders
        dirs = sorted({p.parent for f in folders for p in _walk_files(f) if p.suffix.lower() in IMAGE_SUFFIXES})
    entries, seen = [], set()
    for d in dirs:
        group = _rel(d, src)
        for p in image_files(d):
            if p.resolve() in seen:
                continue
            seen.add(p.resolve())
            rel = _rel(p, src)
            entries.append(_Entry(name=rel, keys=tuple(dict.fromkeys([rel, p.name, p.stem])), group=group,
                                  default_id=p.stem, path=p))
    if not entries:
        raise DataError(f"{', '.join(map(str, folders))}: no image files found")
    return entries


def _array_role(stem: str) -> tuple[str, str] | None:
    s = _norm(stem)
    for prefix in _ARRAY_PREFIXES:
        for role, kind in _ARRAY_ROLES.items():
            if s in (prefix + role, role + prefix):
                return prefix, kind
    return (s, "images") if s in _ARRAY_PREFIXES and s else None


def _array_entries(src: Path, arrays: list[Path], explicit: bool) -> list[_Entry]:
    """Group trainX/trainY/trainIds (or X_train, images/labels/ids ...) by prefix; rows become entries."""
    groups: dict[str, dict[str, Path]] = {}
    for p in arrays:
        role = _array_role(p.stem) or ((_norm(p.stem), "images") if explicit else None)
        if role is None:
            raise DataError(f"{p}: cannot tell what this array holds (expected names like trainX.npy, trainY.npy, "
                            "testX.npy, images.npy, ids.npy); pass --images")
        prefix, kind = role
        if kind in groups.setdefault(prefix, {}):
            raise DataError(f"{src}: ambiguous layout: {groups[prefix][kind].name} and {p.name} both look like "
                            f"{prefix or 'the'} {kind}; pass --images to pick")
        groups[prefix][kind] = p
    entries = []
    for prefix, parts in groups.items():
        if "images" not in parts:
            if explicit:
                continue
            raise DataError(f"{', '.join(p.name for p in parts.values())}: no image array for them "
                            f"(expected {prefix or ''}X.npy)")
        x = parts["images"]
        n = len(_load(x, mmap=True))
        ids = None
        if "ids" in parts:
            ids = _load(parts["ids"]).reshape(-1).astype(str)
            if len(ids) != n:
                raise DataError(f"{parts['ids']}: {len(ids)} ids for {n} images in {x.name}")
        labels = np.full(n, -1, dtype=np.int64)
        if "labels" in parts:
            y = _load(parts["labels"]).reshape(-1)
            if len(y) != n:
                raise DataError(f"{parts['labels']}: {len(y)} labels for {n} images in {x.name}")
            if not np.issubdtype(y.dtype, np.number) or not np.all(np.mod(y, 1) == 0):
                raise DataError(f"{parts['labels']}: labels must be integers (-1 = unknown)")
            labels = y.astype(np.int64)
        for i in range(n):
            ident = None if ids is None else ids[i]
            keys = () if ident is None else tuple(dict.fromkeys([ident, _strip(ident)]))
            entries.append(_Entry(name=f"{x.name}[{i}]", keys=keys, group=prefix or x.stem,
                                  default_id=ident if ident is not None else f"{prefix or 'img'}_{i:05d}",
                                  array=(str(x), i), label=int(labels[i]) if labels[i] >= 0 else -1))
    return entries


def _assign_sample_ids(entries: list[_Entry], refs, layout: str, sample_path: Path) -> None:
    """Arrays without ids: the one unlabeled array as long as the sample's images is named by the sample, in order."""
    if layout != "npy":
        return
    unnamed: dict[str, list[_Entry]] = {}
    for e in entries:
        if not e.keys:
            unnamed.setdefault(e.array[0], []).append(e)
    fits = [f for f, es in unnamed.items() if len(es) == len(refs) and all(e.label < 0 for e in es)]
    if len(fits) > 1:
        tests = [f for f in fits if "test" in Path(f).stem.lower()]
        fits = tests if len(tests) == 1 else fits
    if len(fits) > 1:
        raise DataError(f"{sample_path}: {len(refs)} rows fit {', '.join(Path(f).name for f in fits)}; "
                        "pass --images with the array to predict (or add ids .npy)")
    if fits:
        for e, ref in zip(unnamed[fits[0]], refs):
            e.keys = tuple(dict.fromkeys([ref, _strip(ref)]))
            e.default_id = ref


def _strip(ident: str) -> str:
    suffix = Path(ident).suffix
    return ident[: -len(suffix)] if suffix.lower() in IMAGE_SUFFIXES else ident


def _index(entries: list[_Entry]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for n, e in enumerate(entries):
        for key in e.keys:
            index.setdefault(key, []).append(n)
    return index


def _resolve(ids, entries: list[_Entry], index: dict, csv: Path, prefer: Callable[[str], bool],
             sources: list[str]) -> list[int]:
    """Entry per id: exact spelling, else without an image suffix ("0000.png" or "0000" -> 0000.png)."""
    out, missing = [], []
    for ident in ids:
        cands = index.get(ident) or index.get(_strip(ident)) or []
        if len(cands) > 1:
            cands = [c for c in cands if prefer(entries[c].group)] or cands
        if not cands:
            missing.append(ident)
        elif len(cands) > 1:
            raise DataError(f"{csv}: id {str(ident)!r} matches {len(cands)} images "
                            f"({', '.join(entries[c].name for c in cands[:3])}); pass --images to pick the folder")
        else:
            out.append(cands[0])
    if missing:
        raise DataError(f"{csv}: {len(missing)} ids have no image (first: {first_ids(missing)}; looked in "
                        f"{', '.join(sources[:5])})")
    return out


def _load(path: Path, mmap: bool = False) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
    except Exception as e:
        raise DataError(f"{path}: not a readable .npy file ({e})") from None


def _pixels(entries: list[_Entry], resize) -> np.ndarray:
    """uint8 N,H,W,C in entry order: files decoded together (one grayscale decision), arrays converted whole."""
    if entries[0].path is not None:
        return read_images([e.path for e in entries], resize=resize)
    if resize is not None:
        raise ConfigError("--resize applies to image files, not to .npy arrays")
    cache: dict[str, np.ndarray] = {}
    for e in entries:
        if e.array[0] not in cache:
            cache[e.array[0]] = to_uint8_nhwc(_load(Path(e.array[0])), e.array[0])
    shapes = {f: a.shape[1:] for f, a in cache.items()}
    if len(set(shapes.values())) > 1:
        raise DataError(f"image arrays differ in shape: {', '.join(f'{Path(f).name} {s}' for f, s in shapes.items())}")
    return np.stack([cache[e.array[0]][e.array[1]] for e in entries])


# --- CSVs ------------------------------------------------------------------------------------------------------

def _read_csv(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as e:
        raise DataError(f"{path}: unreadable CSV ({e})") from None
    if df.empty:
        raise DataError(f"{path}: no rows")
    df.columns = [str(c).strip() for c in df.columns]
    return df.apply(lambda col: col.str.strip())


def _read_sample(path: Path, type: str | None) -> tuple[pd.DataFrame, str]:
    """The sample's columns give the type: id,label -> label (or binary), id,image1,image2 -> pairs."""
    df = _read_csv(path)
    cols = list(df.columns)
    is_pairs = {"image1", "image2"} <= {c.lower() for c in cols}
    if type is None:
        if not is_pairs and len(cols) != 2:
            raise DataError(f"{path}: cannot tell the type from columns {','.join(cols)} "
                            "(expected id,label or id,image1,image2)")
        type = "pairs" if is_pairs else "label"
    elif type == "pairs" and not is_pairs:
        raise DataError(f"{path}: --type pairs needs columns id,image1,image2, got {','.join(cols)}")
    elif type != "pairs" and len(cols) != 2:
        raise DataError(f"{path}: --type {type} needs two columns id,label, got {','.join(cols)}")
    ids = df[cols[0]]
    empty = np.flatnonzero((ids == "").to_numpy())
    if len(empty):
        raise DataError(f"{path}: empty id on line {empty[0] + 2}")
    dup = np.flatnonzero(ids.duplicated().to_numpy())
    if len(dup):
        raise DataError(f"{path}: duplicate id {ids.iloc[dup[0]]!r} on line {dup[0] + 2}")
    return df, type


def _pair_columns(df: pd.DataFrame) -> tuple[str, str]:
    low = {c.lower(): c for c in df.columns}
    return low["image1"], low["image2"]


def _read_labels(path: Path) -> tuple[list[str], list[int], list[str] | None]:
    """id,label rows: integer classes or class names (sorted into class_names, numbers numerically); empty or
    -1 = unknown, dropped."""
    df = _read_csv(path)
    low = {c.lower(): c for c in df.columns}
    if "id" in low and "label" in low:
        id_col, lab_col = low["id"], low["label"]
    elif len(df.columns) == 2:
        id_col, lab_col = df.columns
    else:
        raise DataError(f"{path}: expected columns id,label, got {','.join(df.columns)}")
    ids = df[id_col]
    if (ids == "").any():
        raise DataError(f"{path}: empty id on line {int(np.flatnonzero((ids == '').to_numpy())[0]) + 2}")
    dup = np.flatnonzero(ids.duplicated().to_numpy())
    if len(dup):
        raise DataError(f"{path}: duplicate id {ids.iloc[dup[0]]!r} on line {dup[0] + 2}")
    codes, class_names = parse_label_cells(df[lab_col].tolist(), str(path))
    known = codes >= 0
    return ids[known].tolist(), codes[known].tolist(), class_names


def _read_solution(path: Path, sample_ids: pd.Series) -> pd.DataFrame:
    from kit.competition.scoring import read_solution

    sol = read_solution(path)
    if set(sol["id"]) != set(sample_ids) or len(sol) != len(sample_ids):
        raise DataError(f"{path}: ids differ from the sample submission's ({len(sol)} rows vs {len(sample_ids)})")
    return sol.set_index("id").loc[sample_ids.to_numpy()].reset_index()[["id", "label", "Usage"]]


# --- classes ---------------------------------------------------------------------------------------------------

def _n_classes(ctype: str, given: int | None, labels: list[int], class_names, sample: Path,
               labels_path: Path | None) -> tuple[int, list[str] | None]:
    """From --n-classes or the labels; classes the labels never show get placeholder names."""
    seen = (len(class_names) if class_names else max(labels) + 1) if labels else 0
    if ctype == "binary":
        if given not in (None, 2) or seen > 2:
            raise ConfigError(f"a binary competition has 2 classes, got {given or seen} ({labels_path or '--n-classes'})")
        return 2, class_names
    if given is None:
        if seen == 0:
            raise ConfigError(f"--n-classes is required: {labels_path or sample} has no labels to count classes from")
        if seen < 2:
            raise ConfigError(f"--n-classes is required: {labels_path} shows only one class")
        return seen, class_names
    if given < seen:
        raise ConfigError(f"--n-classes {given} does not fit the {seen} classes in {labels_path}")
    if class_names:
        class_names = class_names + [f"class_{i}" for i in range(len(class_names), given)]
    return given, class_names
