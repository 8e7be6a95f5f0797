"""`make reproduce`: rerun every recorded submission from scratch and fail if a score differs.

A recorded submission is a tracked submissions/<name>.csv with its <name>.json (written by `kit run`), which
holds the resolved config and the public/private scores it got. Each config is rerun in a fresh runs folder
(competition rebuilt if missing, no cache, no leaderboard entry); the new CSV and scores must match.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from kit.pipeline import run_pipeline

ROOT = Path(__file__).resolve().parent.parent
TOL = 1e-9


def recorded(selected: list[str]) -> list[Path]:
    tracked = subprocess.run(["git", "ls-files", "submissions/*.json"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    paths = [ROOT / p for p in tracked] or sorted((ROOT / "submissions").glob("*.json"))
    return [p for p in paths if not selected or p.stem in selected]


def main(selected: list[str]) -> int:
    console = Console(stderr=True)
    table = Table(title="make reproduce")
    for col in ("submission", "public (recorded -> now)", "private (recorded -> now)", "csv identical", "ok"):
        table.add_column(col)
    failures = 0
    for meta_path in recorded(selected):
        meta = json.loads(meta_path.read_text())
        if not meta.get("config") or not meta.get("scores"):
            console.print(f"[yellow]skip {meta_path.name}: no config/scores recorded[/]")
            continue
        cfg = dict(meta["config"])
        cfg["submit"] = {**cfg.get("submit", {}), "leaderboard": False, "copy_to": None}
        with tempfile.TemporaryDirectory(prefix="kit-reproduce-") as tmp:
            res = run_pipeline(cfg, runs_dir=tmp, force=True, leaderboard=False, copy_submission=False, console=console)
            same_csv = Path(res["submission"]).read_bytes() == meta_path.with_suffix(".csv").read_bytes()
        old, new = meta["scores"], res["scores"]
        ok = all(abs(old[k] - new[k]) <= TOL for k in ("public", "private"))
        failures += not ok
        table.add_row(meta_path.stem, f"{old['public']:.4f} -> {new['public']:.4f}", f"{old['private']:.4f} -> {new['private']:.4f}",
                      "yes" if same_csv else "no", "[green]ok[/]" if ok else "[red]DIFFERS[/]")
    console.print(table)
    if failures:
        console.print(f"[red]{failures} submission(s) did not reproduce[/]")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
