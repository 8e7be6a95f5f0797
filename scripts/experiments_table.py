"""bench/experiments.md from the pages `make experiments` wrote: seconds per experiment and part, runs, figures
skipped, and each part's best public score (measured by the run, read back here; nothing is typed in).

    python scripts/experiments_table.py [reports] [--wall SECONDS]
"""
from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("reports", nargs="?", default="reports")
    ap.add_argument("--wall", type=float, default=None, help="wall seconds of the whole `make experiments`")
    args = ap.parse_args()
    reports = ROOT / args.reports
    lines = ["## Course experiments (`make experiments`, CPU)", "",
             f"Device: CPU, {platform.processor() or platform.machine()}; pages under `{args.reports}/`. Seconds are "
             "compute: the seconds each stage took when it was built (read from its stage.json, so cached reruns report the "
             "same cost; a stage shared by several runs counts once per part), figures: drawing the part's figures.", "",
             "| experiment | part | runs | compute s | figures s | best public (run) | figures skipped |",
             "|---|---|---|---|---|---|---|"]
    total = 0.0
    for info_path in sorted(reports.glob("*/experiment.json")):
        info = json.loads(info_path.read_text())
        for part in info["parts"]:
            slug = next((d for d in info_path.parent.iterdir() if d.is_dir()
                         and (d / "results.csv").exists() and _title_slug(part["title"]) == d.name), None)
            best = ""
            if slug is not None:
                df = pd.read_csv(slug / "results.csv")
                if "public" in df and df["public"].notna().any():
                    r = df.loc[df["public"].idxmax()]
                    label = r.get("variant", None)
                    if label is None or (isinstance(label, float) and label != label):
                        from kit.experiments.sweep import short_keys

                        keys = list(df.columns[:list(df.columns).index("public")])
                        label = ", ".join(f"{s}={r[k]}" for k, s in zip(keys, short_keys(keys)))
                    best = f"{r['public']:.3f} ({label})"
            lines.append(f"| {info['name']} | {part['title']} | {part['runs']} | {part['compute_seconds']:.0f} | "
                         f"{part['figure_seconds']:.0f} | {best} | {len(part['skipped_figures'])} |")
        total += info["compute_seconds"] + info["figure_seconds"]
    lines += ["", f"Total, stages built once each + figures: {total:.0f} s" + (
        f"; wall time of the whole command: {args.wall:.0f} s" if args.wall else "") + ".", ""]
    out = ROOT / "bench" / "experiments.md"
    out.write_text("\n".join(lines))
    print(f"wrote {out}")
    return 0


def _title_slug(title: str) -> str:
    from kit.experiments.spec import Part

    return Part(title).slug


if __name__ == "__main__":
    raise SystemExit(main())
