"""Save a matplotlib figure atomically, so a crashed report never leaves a truncated PNG behind."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from kit.io import atomic_path


def save_figure(fig, path: str | Path, dpi: int = 100) -> Path:
    """Write fig as PNG to path (via a temporary file) and close it to free its memory."""
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format="png")
    finally:
        plt.close(fig)
    return Path(path)


def draw_section(title: str, out: Path, filename: str, make) -> dict:
    """Run ``make(out / filename)`` (returns the caption) into a page section: {"title", "image", "caption"}, or
    {"title", "skipped": reason} when it raises Skip or fails, so one broken figure never costs the others. A
    figure left from an earlier page is removed first, so a skipped one is never shown stale."""
    from kit.report.skip import Skip

    path = Path(out) / filename
    path.unlink(missing_ok=True)
    try:
        return {"title": title, "image": filename, "caption": make(path)}
    except Skip as e:
        return {"title": title, "skipped": str(e)}
    except Exception as e:  # the reason is shown on the page instead
        return {"title": title, "skipped": f"failed: {type(e).__name__}: {e}"}
