"""Grid sweeps: one cached ``run_pipeline`` per cell of ``--set key=v1,v2,...``; a results table and plots.

Why this shape:
- Every cell is a normal run with its own name (``runs/<name>-<key>_<value>-.../``), so the report and
  ``kit run`` tools work on it. Stage folders are keyed by config hashes, and before each cell the finished
  stage folders of the other cells are linked into its run folder, so a cell whose pretrain (or extract,
  reduce, ...) config equals an earlier cell's reuses that stage instead of training again.
- Resumable without stale results: every cell calls ``run_pipeline``, which reads each stage whose hash (config,
  inputs, kit's code, the competition's files) is unchanged from the cache and reruns the others, so a rerun
  costs seconds yet sees a code fix or a re-imported competition. ``OUT/cells/<run name>.json`` is each cell's
  latest result, written atomically, never read back to skip a cell (a cell killed mid-way resumes from its
  cached stages and checkpoints).
- All cells are validated (config, model options, competition unchanged, hold-out set) before any training.

Held-out reconstruction loss (``holdout``): pretrain trains on *every* competition image, so the
competition cannot give a test loss. ``holdout`` is a ``kit.data.load_source`` spec of other images
(e.g. ``fashion_mnist:split=test,limit=1000`` for a competition built from the train split, or
``npy:x=heldout.npy``); images byte-identical to a competition image are dropped (a source that is the
competition itself, like ``digits`` for a digits competition, is refused). ``test_loss`` is the mean
``kit.train.extract.reconstruction_errors`` (per-image MSE of pixels in [0, 1], eval mode, no noise or
augmentation) on those images; ``train_loss`` is the same measure on the competition images the model trained on.
"""
from __future__ import annotations

import copy
import hashlib
import itertools
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from kit.config import SECTIONS, read_config_file, validate_config
from kit.errors import ConfigError, KitError, did_you_mean
from kit.io import atomic_path, read_json, write_csv, write_json, write_text
from kit.overrides import apply_overrides, parse_value, split_top_level
from kit.pipeline.cache import MARKER, hash_obj
from kit.pipeline.runner import run_pipeline

METRICS = ("public", "private", "nmi", "ari", "train_loss", "test_loss")
STAGE_DIR = re.compile(r"[a-z]+-[0-9a-f]{12}")
UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
MAX_NAME = 120


@dataclass
class Cell:
    """One run: its table columns (key -> parsed value, and the text as typed), its run name and the config
    overrides that make it. A grid point's columns are its swept keys; an experiment variant's is its label."""

    values: dict[str, Any]
    texts: dict[str, str]
    name: str
    extra: list[str] | None = None  # overrides when they are not the columns (named variants)

    @property
    def overrides(self) -> list[str]:
        return self.extra if self.extra is not None else [f"{k}={t}" for k, t in self.texts.items()]

    @property
    def label(self) -> str:
        return ", ".join(t if k == "variant" else f"{short}={t}"
                         for (k, t), short in zip(self.texts.items(), short_keys(list(self.texts))))


def short_keys(keys: list[str]) -> list[str]:
    """The last part of each dotted key ('latent_dim'), or the whole keys when two would read the same."""
    leaves = [k.rsplit(".", 1)[-1] for k in keys]
    return leaves if len(set(leaves)) == len(leaves) else list(keys)


# ---------------------------------------------------------------- parsing


def parse_set(item: str) -> tuple[str, list[str]]:
    """'pretrain.epochs=1,2' -> ('pretrain.epochs', ['1', '2']): the value texts, parsed later as YAML."""
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected key=v1,v2,... (e.g. pretrain.epochs=5,10)")
    key, text = (s.strip() for s in item.split("=", 1))
    if not key:
        raise ConfigError(f"--set {item!r}: empty key")
    texts = split_top_level(text)
    if not texts:
        raise ConfigError(f"--set {key}: no values (expected {key}=v1,v2,...)")
    seen: dict[str, str] = {}
    for t in texts:
        ident = hash_obj(parse_value(t))
        if ident in seen:
            raise ConfigError(f"--set {key}: value {t!r} is listed twice (as {seen[ident]!r})")
        seen[ident] = t
    return key, texts


def grid(base_name: str, sets: list[str]) -> list[Cell]:
    """Cartesian product of every --set, in the order given (the last key varies fastest)."""
    parsed: dict[str, list[str]] = {}
    for item in sets:
        key, texts = parse_set(item)
        if key in parsed:
            raise ConfigError(f"--set {key}: given twice; list all its values in one --set {key}=v1,v2")
        parsed[key] = texts
    if not parsed:
        raise ConfigError("--set: give at least one key=v1,v2,... to sweep")
    cells, names = [], set()
    for combo in itertools.product(*parsed.values()):
        texts = dict(zip(parsed, combo))
        name = cell_name(base_name, texts, names)
        names.add(name)
        cells.append(Cell({k: parse_value(t) for k, t in texts.items()}, texts, name))
    return cells


def cell_name(base: str, texts: dict[str, str], taken: set[str] = frozenset()) -> str:
    """'<name>-<key>_<value>-...' in the characters a run name allows; a short hash keeps it unique and short."""
    name = base + "".join(f"-{UNSAFE.sub('_', k)}_{UNSAFE.sub('_', t).strip('_') or 'x'}" for k, t in texts.items())
    if len(name) > MAX_NAME or name in taken:
        digest = hashlib.sha256(repr(sorted(texts.items())).encode()).hexdigest()[:8]
        name = f"{name[:MAX_NAME - 9]}-{digest}"
    return name


# ---------------------------------------------------------------- validation


def check_keys(cells: list[Cell], base: dict[str, Any]) -> None:
    """Keys that cannot be swept: the competition (cells would not be comparable), the run name, new sections
    (a grid varies options; named experiment variants may add or drop a stage)."""
    for key in dict.fromkeys(o.split("=", 1)[0].strip() for c in cells for o in c.overrides):
        top = key.split(".", 1)[0]
        if top == "competition":
            raise ConfigError(f"--set {key}: a sweep cannot change the competition (every cell must score on the same one)")
        if top == "name":
            raise ConfigError(f"--set {key}: the sweep names each run itself (<name>-<key>_<value>...)")
        if top not in SECTIONS:
            raise ConfigError(f"--set {key}: unknown key {top!r}" + did_you_mean(top, sorted(SECTIONS)))
        if base.get(top) is None and cells[0].extra is None:  # named variants may add or drop a stage
            raise ConfigError(f"--set {key}: the config has no '{top}' section (a sweep varies options, it does not add stages)")


def pinned_config(raw: dict, base: dict) -> dict:
    """The raw config with what each cell must share fixed: the competition folder (its default depends on the
    run name) and the competition's seed (its default is the run seed, which a sweep may vary)."""
    raw = copy.deepcopy(raw)
    comp = dict(base["competition"])
    if comp.get("make") is not None and "seed" not in comp["make"]:
        comp["make"] = {**comp["make"], "seed": base["seed"]}
    raw["competition"] = comp
    return raw


def cell_config(raw: dict, cell: Cell) -> dict:
    """The raw (unvalidated) config of one cell: overrides applied, its own run name."""
    cfg = apply_overrides(raw, cell.overrides)
    cfg["name"] = cell.name
    return cfg


def validate_cells(raw: dict, base: dict, cells: list[Cell]) -> dict[str, dict]:
    """Every value on its own (so an error names its key), then every cell. Returns name -> validated config."""
    for key in [] if cells[0].extra is not None else cells[0].values:  # named variants: checked per cell below
        for text in dict.fromkeys(c.texts[key] for c in cells):
            try:
                validate_config(apply_overrides(raw, [f"{key}={text}"]))
            except ConfigError as e:
                raise ConfigError(f"--set {key}={text}: {e}") from None
    configs = {}
    for cell in cells:
        try:
            cfg = validate_config(cell_config(raw, cell))
        except ConfigError as e:
            raise ConfigError(f"sweep cell {cell.name}: {e}") from None
        if cfg["competition"] != raw["competition"]:
            raise ConfigError(f"sweep cell {cell.name}: its competition differs from the config's; a sweep cannot change it")
        configs[cell.name] = cfg
    return configs


def check_models(configs: dict[str, dict], channels: int, size: int) -> None:
    """Build each distinct pretrain model once (untrained): bad model options fail now, not after hours of cells."""
    from kit.models import create_model

    seen = set()
    for name, cfg in configs.items():
        pre = cfg.get("pretrain")
        if not pre:
            continue
        model, kwargs = pre.get("model", "conv_ae4"), pre.get("model_kwargs") or {}
        key = hash_obj([model, kwargs])
        if key in seen:
            continue
        seen.add(key)
        try:
            create_model(model, channels, size, **kwargs)
        except (KitError, ValueError, TypeError) as e:
            raise ConfigError(f"sweep cell {name}: pretrain model {model} {kwargs}: {e}") from None


# ---------------------------------------------------------------- hold-out images and model statistics


def image_digests(images: np.ndarray) -> np.ndarray:
    return np.array([hashlib.sha1(np.ascontiguousarray(im).tobytes()).hexdigest() for im in images])


def holdout_images(spec: dict[str, Any], comp) -> tuple[np.ndarray, int]:
    """The hold-out source's images that are not competition images (byte-identical ones are dropped).
    Returns (images, number dropped)."""
    from kit.data import load_source

    try:
        data = load_source(spec)
    except KitError as e:
        raise ConfigError(f"--holdout-source: {e}") from None
    want = comp.images.images.shape[1:]
    if data.images.shape[1:] != want:
        raise ConfigError(f"--holdout-source: images are {data.images.shape[1:]} (H, W, C) but the competition's are "
                          f"{want}; add resize=[{want[0]},{want[1]}] and/or grayscale={str(want[2] == 1).lower()}")
    trained = [comp.images.images] + ([comp.labeled.images] if comp.labeled is not None else [])
    seen = set(image_digests(np.concatenate(trained)))
    keep = np.array([d not in seen for d in image_digests(data.images)], dtype=bool)
    if not keep.any():
        raise ConfigError(f"--holdout-source {spec['kind']}: all {len(keep)} images are competition images, so they "
                          "are not held out (pretrain trains on every competition image); use another split or set")
    return data.images[keep], int((~keep).sum())


def count_params(model) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def model_stats(model_dir: str | Path | None, train: np.ndarray, holdout: np.ndarray | None) -> dict[str, Any]:
    """params of the pretrain model; mean reconstruction MSE on its training images and on the hold-out images."""
    stats: dict[str, Any] = {"params": None, "train_loss": None, "test_loss": None}
    if not model_dir:
        return stats
    from kit.models import load_model
    from kit.train.extract import reconstruction_errors
    from kit.train.loop import pick_device

    device = str(pick_device("auto"))
    model = load_model(model_dir, device=device)
    stats["params"] = count_params(model)
    if getattr(model, "is_autoencoder", False):
        stats["train_loss"] = float(reconstruction_errors(model, train, device=device).mean())
        if holdout is not None:
            stats["test_loss"] = float(reconstruction_errors(model, holdout, device=device).mean())
    return stats


# ---------------------------------------------------------------- cache sharing


def share_stages(run_dir: Path, pool: list[Path]) -> list[str]:
    """Link every finished stage folder of the ``pool`` run folders into ``run_dir`` (same name = same hash = same
    result), so run_pipeline finds it cached. Links whose target is gone are removed first. Returns the names linked."""
    run_dir.mkdir(parents=True, exist_ok=True)
    for entry in run_dir.iterdir():
        if entry.is_symlink() and not entry.exists():
            entry.unlink()
    linked = []
    for other in pool:
        if other.resolve() == run_dir.resolve() or not other.is_dir():
            continue
        for stage in sorted(other.iterdir()):
            dest = run_dir / stage.name
            if STAGE_DIR.fullmatch(stage.name) and (stage / MARKER).exists() and not os.path.lexists(dest):
                dest.symlink_to(os.path.relpath(stage.resolve(), run_dir.resolve()), target_is_directory=True)
                linked.append(stage.name)
    return linked


def prune_links(run_dir: Path, stages: dict[str, str | None]) -> None:
    """Drop the links this cell did not use, so its run folder lists only its own stages."""
    used = {Path(p).name for p in stages.values() if p}
    for entry in run_dir.iterdir():
        if entry.is_symlink() and entry.name not in used:
            entry.unlink()


def built_seconds(stages: dict[str, str | Path | None]) -> dict[str, float]:
    """{resolved stage folder: seconds it took when it was built} (stage.json), competition left out; the same
    whether the stage was built now or reused from the cache."""
    out = {}
    for name, path in stages.items():
        if name != "competition" and path and (Path(path) / MARKER).exists():
            out[str(Path(path).resolve())] = float(read_json(Path(path) / MARKER).get("seconds", 0.0))
    return out


def stage_seconds(stages: dict[str, str | None]) -> float:
    """Compute time of the cell's stages as recorded when each was built (also for stages reused from a cell)."""
    return round(sum(built_seconds(stages).values()), 3)


# ---------------------------------------------------------------- the sweep


def run_sweep(config: str | Path | dict, sets: list[str], *, out: str | Path | None = None,
              runs_dir: str | Path = "runs", holdout: str | dict | None = None, private: bool = False,
              leaderboard: bool = False, console: Console | None = None) -> dict[str, Any]:
    """Validate every cell, then run the missing ones. Returns {"out", "rows", "ran": {cell: stages run}, "files"}."""
    raw, base = read_base(config)
    return run_cells(raw, base, grid(base["name"], sets), out=out, runs_dir=runs_dir, holdout=holdout,
                     private=private, leaderboard=leaderboard, console=console, source=config, sets=sets)


def read_base(config: str | Path | dict) -> tuple[dict, dict]:
    """(raw config, validated config); errors name the file."""
    raw = read_config_file(config) if not isinstance(config, dict) else copy.deepcopy(config)
    try:
        return raw, validate_config(raw)
    except ConfigError as e:
        raise ConfigError(f"{config if not isinstance(config, dict) else 'config'}: {e}") from None


def load_data(raw: dict, base: dict, holdout: str | dict | None, console: Console):
    """(competition, hold-out spec, hold-out images or None) that every cell of ``raw`` shares; the competition
    is built when missing."""
    from kit.competition import load_competition
    from kit.data.sources import source_spec
    from kit.pipeline import stages

    holdout_spec = None if holdout is None else source_spec(holdout, "--holdout-source")
    raw = pinned_config(raw, base)
    comp = load_competition(stages.build_competition(raw["competition"], base["seed"], console))
    held = None
    if holdout_spec is not None:
        held, dropped = holdout_images(holdout_spec, comp)
        if dropped:
            console.print(f"[yellow]--holdout-source: dropped {dropped} images that are also competition images[/]")
    return comp, holdout_spec, held


def prepare_cells(raw: dict, base: dict, cells: list[Cell], holdout: str | dict | None, console: Console, data=None):
    """Everything checked before any cell trains. ``data``: load_data's result when the caller loaded it already
    (an experiment's parts share it). Returns (pinned raw config, cell configs, competition, hold-out spec,
    hold-out images or None)."""
    check_keys(cells, base)
    raw = pinned_config(raw, base)
    configs = validate_cells(raw, base, cells)
    comp, holdout_spec, held = data or load_data(raw, base, holdout, console)
    check_models(configs, comp.images.images.shape[-1], comp.images.images.shape[1])
    return raw, configs, comp, holdout_spec, held


def run_cells(raw: dict, base: dict, cells: list[Cell], *, out: str | Path | None = None,
              runs_dir: str | Path = "runs", holdout: str | dict | None = None, private: bool = False,
              leaderboard: bool = False, console: Console | None = None, source=None, sets=None,
              prepared=None, share_with: list[str] = ()) -> dict[str, Any]:
    """Run every cell through run_pipeline (its cached stages make a rerun cheap), write each cell's record to
    OUT/cells/, then the table and plots. ``prepared``: prepare_cells' result when the caller has checked the cells
    already; ``share_with``: names of other runs (e.g. an experiment's other parts) whose cached stages these
    cells may reuse."""
    console = console or Console(stderr=True)
    raw, _, comp, holdout_spec, held = prepared or prepare_cells(raw, base, cells, holdout, console)
    train_images = comp.images.images
    out = Path(out) if out is not None else Path("sweeps") / base["name"]
    runs_dir = Path(runs_dir)
    write_json(out / "sweep.json", {"config": str(source) if source is not None and not isinstance(source, dict)
                                    else None, "sets": sets, "holdout": holdout_spec,
                                    "cells": [c.name for c in cells]})
    pool = [runs_dir / base["name"]] + [runs_dir / c.name for c in cells] + [runs_dir / n for n in share_with]
    records, ran, stats_cache = [], {}, {}
    for i, cell in enumerate(cells, 1):
        console.rule(f"[bold]cell {i}/{len(cells)}[/] {cell.name}")
        share_stages(runs_dir / cell.name, pool)
        t0 = time.perf_counter()
        result = run_pipeline({**raw, "name": cell.name}, runs_dir=runs_dir, overrides=cell.overrides,
                              leaderboard=leaderboard, copy_submission=False, show_private=private, console=console)
        wall = time.perf_counter() - t0
        prune_links(runs_dir / cell.name, result["stages"])
        ran[cell.name] = list(result["ran"])
        pre = result["stages"].get("pretrain")
        real = str(Path(pre).resolve()) if pre else None
        if real not in stats_cache:
            stats_cache[real] = model_stats(pre, train_images, held)
        record = {"cell": cell.name, "values": cell.values, "texts": cell.texts,
                  "overrides": cell.overrides, "scores": result["scores"], **stats_cache[real],
                  "n_holdout": None if held is None else len(held), "seconds": stage_seconds(result["stages"]),
                  "wall_seconds": round(wall, 3), "ran": ran[cell.name], "run_dir": str(result["run_dir"])}
        write_json(out / "cells" / f"{cell.name}.json", record)
        records.append(record)
    rows = [table_row(r, cells[0].values, private) for r in records]
    files = write_results(rows, list(cells[0].values), out, private)
    if cells[0].extra is None:  # a line through named variants would suggest an order they do not have
        files += plot_results(rows, list(cells[0].values), out, private)
    return {"out": out, "rows": rows, "ran": ran, "files": files}


# ---------------------------------------------------------------- results


def table_row(record: dict, keys: dict[str, Any], private: bool) -> dict[str, Any]:
    """One results row: swept values (as typed when not a scalar), scores, model stats, seconds, run dir."""
    scores = record.get("scores") or {}
    row = {k: _cell_value(record["values"][k], record["texts"][k]) for k in keys}
    row["public"] = scores.get("public")
    if private:
        row["private"] = scores.get("private")
    row.update(nmi=scores.get("nmi"), ari=scores.get("ari"), params=record.get("params"),
               train_loss=record.get("train_loss"), test_loss=record.get("test_loss"), seconds=record.get("seconds"),
               run_dir=record.get("run_dir"))
    return row


def _cell_value(value: Any, text: str) -> Any:
    return value if value is None or isinstance(value, (bool, int, float, str)) else text


def write_results(rows: list[dict], keys: list[str], out: Path, private: bool) -> list[Path]:
    import pandas as pd

    df = pd.DataFrame(rows)
    csv_path = write_csv(out / "results.csv", df)
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_md(row[c]) for c in cols) + " |")
    note = "" if private else "\nPrivate scores are hidden (as on Kaggle while choosing a config); `--private` shows them.\n"
    md = ("# Runs\n\n" if keys == ["variant"] else f"# Sweep over {', '.join(keys)}\n\n") + "\n".join(lines) + "\n" + note
    return [csv_path, write_text(out / "results.md", md)]


def _md(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|")


def metric_lines(rows: list[dict], metric: str, key: str, keys: list[str]) -> tuple[list, bool, dict[str, list]]:
    """(x values in sweep order, whether they are numeric, {label of the other keys' values: [(x, y), ...]})."""
    xs = list(dict.fromkeys(r[key] for r in rows))
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
    pos = {x: (x if numeric else i) for i, x in enumerate(xs)}
    others = [k for k in keys if k != key]
    lines: dict[str, list[tuple[float, float]]] = {}
    for r in rows:
        label = ", ".join(f"{k}={r[k]}" for k in others) or metric
        y = r.get(metric)
        lines.setdefault(label, []).append((pos[r[key]], np.nan if y is None else float(y)))
    return xs, numeric, {label: sorted(points) for label, points in lines.items()}


def plot_results(rows: list[dict], keys: list[str], out: Path, private: bool) -> list[Path]:
    """OUT/<metric>_vs_<key>.png: the metric against one swept key, one line per combination of the other keys."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    for metric in [m for m in METRICS if m != "private" or private]:
        if all(r.get(metric) is None for r in rows):
            continue
        for key in keys:
            xs, numeric, lines = metric_lines(rows, metric, key, keys)
            fig, ax = plt.subplots(figsize=(6, 4))
            for label, points in lines.items():
                ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
            if not numeric:
                ax.set_xticks(range(len(xs)), [str(x) for x in xs])
            ax.set(xlabel=key, ylabel=metric, title=f"{metric} vs {key}")
            if len(keys) > 1:
                ax.legend(fontsize=7)
            fig.tight_layout()
            path = out / f"{metric}_vs_{UNSAFE.sub('_', key)}.png"
            with atomic_path(path) as tmp:
                fig.savefig(tmp, dpi=80, format="png")
            plt.close(fig)
            files.append(path)
    return files
