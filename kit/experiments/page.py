"""HTML for experiments: one page per experiment (tables, sweep plots, figures) and an index linking them."""
from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from kit.io import read_json, write_text
from kit.report.html import STYLE, section_html

COLUMNS_HIDDEN = ("run_dir",)


def _table(rows: list[dict]) -> str:
    import pandas as pd

    if not rows:
        return "<p>no runs</p>"
    df = pd.DataFrame(rows).drop(columns=[c for c in COLUMNS_HIDDEN if c in rows[0]])
    return df.to_html(index=False, classes="results", na_rep="", float_format=lambda v: f"{v:.4g}", border=0)


def write_experiment_page(folder: Path, exp, results: list[dict[str, Any]], private: bool, seconds: float) -> Path:
    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(exp.title)}</title>",
             f"<style>{STYLE}</style></head><body><p><a href='../index.html'>all experiments</a></p>",
             f"<h1>{e(exp.title)}</h1>"]
    if exp.description:
        parts.append(f"<p>{e(exp.description)}</p>")
    parts.append(f"<p class='caption'>Experiment file: {e(str(exp.source or ''))}; {seconds:.0f} s for this "
                 f"page's runs (cached stages are not recomputed). Scores: Hungarian-matched accuracy on the "
                 f"competition's public rows{' and private rows' if private else ' (private hidden)'}; train_loss / "
                 "test_loss: mean per-image reconstruction MSE on the training images / on held-out images.</p>")
    for r in results:
        part = r["part"]
        parts.append(f"<h2>{e(part.title)}</h2>")
        if part.notes:
            parts.append(f"<p>{e(part.notes)}</p>")
        parts.append(_table(r["rows"]))
        for png in r["plots"]:
            rel = os.path.relpath(png, folder)
            parts.append(f"<img src='{e(rel)}' alt='{e(png.stem)}' style='max-width:48%'>")
        parts.extend(section_html(s, "h3") for s in r["sections"])
    parts.append("</body></html>")
    return write_text(folder / "index.html", "\n".join(parts))


def write_index(reports: Path) -> Path:
    """reports/index.html: every experiment page under ``reports`` (read from its experiment.json)."""
    e = html.escape
    rows = []
    for info_path in sorted(reports.glob("*/experiment.json")):
        info = read_json(info_path)
        skipped = sum(len(p.get("skipped_figures", [])) for p in info.get("parts", []))
        runs = sum(p.get("runs", 0) for p in info.get("parts", []))
        rows.append(f"<tr><td style='text-align:left'><a href='{e(info_path.parent.name)}/index.html'>"
                    f"{e(info.get('title', info_path.parent.name))}</a></td><td>{runs}</td>"
                    f"<td>{info.get('seconds', 0):.0f}</td><td>{skipped}</td></tr>")
    body = ("<table class='results'><tr><th>experiment</th><th>runs</th><th>seconds</th><th>figures skipped</th></tr>"
            + "".join(rows) + "</table>") if rows else "<p>no experiments yet: run <code>make experiments</code></p>"
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>kit experiments</title><style>{STYLE}</style>"
            f"</head><body><h1>kit experiments</h1>{body}</body></html>")
    return write_text(reports / "index.html", page)
