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
