"""One row per run: reconstruction loss x reduction method x public/private score."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


def run_row(ctx) -> dict:
    row = {"run": ctx.name, "model": "raw pixels", "recon_mse": float("nan"), "reduction": "none", "cluster": "",
           "public": float("nan"), "private": float("nan"), "nmi": float("nan"), "ari": float("nan")}
    if ctx.model_dir is not None and (ctx.model_dir / "metrics.csv").exists():
        m = pd.read_csv(ctx.model_dir / "metrics.csv")
        meta = json.loads((ctx.model_dir / "model.json").read_text()) if (ctx.model_dir / "model.json").exists() else {}
        row["model"] = f"{meta.get('name', '?')} {meta.get('objective', '')}".strip()
        row["recon_mse"] = float(m["train_mse"].iloc[-1])
    for stage, key in (("reduce", "reduction"), ("cluster", "cluster")):
        info = ctx.stage_file(stage, "stage.json")
        if info:
            cfg = json.loads(info.read_text())["config"]
            if stage == "reduce":
                row[key] = " -> ".join(f"{s['method']}{s.get('n_components', '')}" for s in cfg["steps"]) or "none"
            else:
                row[key] = cfg.get("method", "")
    scores = ctx.stage_file("submit", "scores.json")
    if scores:
        row.update({k: v for k, v in json.loads(scores.read_text()).items() if k in ("public", "private", "nmi", "ari")})
    return row


def results_table(contexts) -> pd.DataFrame:
    return pd.DataFrame([run_row(c) for c in contexts])


def to_html(df: pd.DataFrame) -> str:
    return df.to_html(index=False, float_format=lambda v: f"{v:.4f}", na_rep="–", border=0, classes="results")


def leaderboard_table(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.exists() else None
