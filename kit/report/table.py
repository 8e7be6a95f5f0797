"""One row per run: reconstruction loss x reduction method x public/private score.

Rows come from run folders (stages.json -> pretrain metrics.csv, reduce/cluster stage.json, submit scores.json)
and from leaderboard CSVs (`submissions/leaderboard.csv`); a leaderboard entry gets its model and reduction
columns from runs/<config> only when that run still has the entry's config hash.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from kit.errors import DataError

COLUMNS = ["run", "competition", "source", "model", "latent_dim", "recon_mse", "reduction", "cluster", "public", "private", "nmi", "ari"]
SCORES = ("public", "private", "nmi", "ari")


def describe_steps(steps: list[dict]) -> str:
    """[{"method": "pca", "n_components": 50}, {"method": "tsne", ...: 2}] -> 'pca50 -> tsne2'."""
    return " -> ".join(f"{s.get('method', '?')}{s.get('n_components', '')}" for s in steps) or "none"


def run_row(ctx) -> dict:
    row = {c: np.nan for c in COLUMNS}
    row.update(run=ctx.name, competition=getattr(ctx.comp, "name", "–"), source="run folder", model="raw pixels",
               reduction="–", cluster="–")
    extract = ctx.stage_config("extract") or {}
    if ctx.model_dir is not None and (ctx.model_dir / "model.json").exists():
        meta = json.loads((ctx.model_dir / "model.json").read_text())
        row["model"] = f"{meta.get('name', '?')} {meta.get('objective', '')}".strip()
        row["latent_dim"] = meta.get("kwargs", {}).get("latent_dim", np.nan)
        if extract.get("model") == "finetune":
            row["model"] += f" + finetuned head ({extract.get('kind', 'latent')})"
    elif str(extract.get("model", "")).startswith("timm:"):
        row["model"] = str(extract["model"])
    if ctx.model_dir is not None and (ctx.model_dir / "metrics.csv").exists():
        m = pd.read_csv(ctx.model_dir / "metrics.csv")
        if "train_mse" in m and len(m):
            row["recon_mse"] = float(m["train_mse"].iloc[-1])
    reduce_cfg = ctx.stage_config("reduce")
    if reduce_cfg is not None:
        row["reduction"] = describe_steps(reduce_cfg.get("steps", []))
    cluster_cfg = ctx.stage_config("cluster")
    if cluster_cfg is not None:
        row["cluster"] = cluster_cfg.get("method", "?")
    scores = ctx.stage_file("submit", "scores.json")
    if scores:
        row.update({k: v for k, v in json.loads(scores.read_text()).items() if k in SCORES})
    return row


def leaderboard_rows(path: str | Path) -> list[dict]:
    path = Path(path)
    try:
        lb = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise DataError(f"{path}: cannot read leaderboard CSV ({e})") from None
    missing = [c for c in ("file", *SCORES) if c not in lb.columns]
    if missing:
        raise DataError(f"{path}: not a leaderboard CSV (missing columns {missing})")
    rows = []
    for _, entry in lb.iterrows():
        name = entry.get("config") if isinstance(entry.get("config"), str) else Path(str(entry["file"])).stem
        row = {c: np.nan for c in COLUMNS}
        competition = entry.get("competition")
        row.update(run=name, competition=competition if isinstance(competition, str) and competition else "–",
                   source=f"{path.name} {entry.get('time', '')}".strip(), model="–", reduction="–", cluster="–")
        row.update({k: float(entry[k]) for k in SCORES})
        run = _matching_run(path, name, str(entry.get("config_hash", "")))
        if run is not None:
            row.update({k: v for k, v in run_row(run).items() if k not in ("run", "competition", "source", *SCORES)})
        rows.append(row)
    return rows


def _matching_run(leaderboard: Path, name: str, config_hash: str):
    """runs/<name> beside the submissions folder, if its submission still carries this config hash."""
    from kit.report.context import RunContext

    run_dir = leaderboard.resolve().parent.parent / "runs" / name
    if not config_hash or not (run_dir / "stages.json").exists():
        return None
    try:
        ctx = RunContext.load(run_dir)
    except DataError:
        return None
    meta = ctx.stage_file("submit", "submission.json")
    if meta is None or json.loads(meta.read_text()).get("config_hash") != config_hash:
        return None
    return ctx


def results_table(contexts, leaderboards=()) -> pd.DataFrame:
    """The runs' rows, then the leaderboards' rows of the same competitions (all of them when no run names one;
    a row of an old leaderboard without a competition column is kept): one report never mixes competitions."""
    rows = [run_row(c) for c in contexts]
    names = {r["competition"] for r in rows} - {"–"}
    for lb in leaderboards:
        rows += [r for r in leaderboard_rows(lb) if not names or r["competition"] in names | {"–"}]
    return pd.DataFrame(rows, columns=COLUMNS)


def to_html(df: pd.DataFrame) -> str:
    return df.to_html(index=False, float_format=lambda v: f"{v:.4f}" if v != int(v) else f"{int(v)}", na_rep="–",
                      border=0, classes="results")
