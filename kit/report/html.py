"""One self-contained HTML page: figures (relative PNG links) with captions, skipped items with reasons, a table."""
from __future__ import annotations

import html
from pathlib import Path

from kit.io import write_text

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
h1{font-size:1.6em}h2{font-size:1.15em;margin-top:2em}img{max-width:100%;border:1px solid #ddd}
.caption{color:#555;font-size:.92em}.skipped{color:#a33}table.results{border-collapse:collapse;font-size:.9em}
table.results td,table.results th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}"""


def section_html(s: dict, heading: str = "h2") -> str:
    """One section: heading, then the figure and its caption, or 'skipped: reason'."""
    e = html.escape
    head = f"<{heading}>{e(s['title'])}</{heading}>"
    if s.get("image"):
        return (f"{head}\n<img src='{e(s['image'])}' alt='{e(s['title'])}'>\n"
                f"<p class='caption'>{e(s.get('caption', ''))}</p>")
    return f"{head}\n<p class='skipped'>skipped: {e(s.get('skipped', 'no data'))}</p>"


def write_page(path: Path, title: str, sections: list[dict], table_html: str, table_caption: str = "") -> Path:
    """sections: {"title", "image" (file name beside the page) + "caption", or "skipped" (reason)}."""
    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title>",
             f"<style>{STYLE}</style></head><body><h1>{e(title)}</h1>"]
    parts.extend(section_html(s) for s in sections)
    parts.append("<h2>Reconstruction loss x reduction x score</h2>" + table_html)
    if table_caption:
        parts.append(f"<p class='caption'>{e(table_caption)}</p>")
    parts.append("</body></html>")
    return write_text(path, "\n".join(parts))
