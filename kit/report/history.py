"""Leaderboard history: public score of every submission over time. The private column is never read:
like Kaggle, the private score stays hidden while a competitor is still choosing what to submit. One chart is one
competition: rows of others are left out (scores of different competitions do not compare)."""
from __future__ import annotations

from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from kit.errors import DataError
from kit.report.figure import save_figure

READ = ("file", "competition", "time", "config", "public")


def default_leaderboard(run_dir: Path) -> Path | None:
    """submissions/leaderboard.csv beside the run's runs/ folder, else in the current directory."""
    for base in (Path(run_dir).resolve().parent.parent, Path.cwd()):
        if (base / "submissions" / "leaderboard.csv").exists():
            return base / "submissions" / "leaderboard.csv"
    return None


def leaderboard_history(paths, competition: str | None = None) -> pd.DataFrame:
    """time (datetime), entry (config name, else the file's stem), public; sorted by time.

    ``competition``: keep that competition's rows only; a leaderboard written before the competition column
    existed is kept whole (it cannot tell its competitions apart), rows without one in a newer file are left out.
    """
    frames = []
    for path in paths:
        try:
            lb = pd.read_csv(path, usecols=lambda c: c in READ, dtype=str)
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
            raise DataError(f"{path}: cannot read leaderboard CSV ({e})") from None
        if not {"time", "public"} <= set(lb.columns):
            raise DataError(f"{path}: no time/public columns")
        if competition is not None and "competition" in lb:
            lb = lb[lb["competition"] == competition]
        entry = lb["config"] if "config" in lb else pd.Series(np.nan, index=lb.index)
        if "file" in lb:
            entry = entry.fillna(lb["file"].map(lambda f: Path(str(f)).stem))
        frames.append(pd.DataFrame({"time": pd.to_datetime(lb["time"], errors="coerce"),
                                    "entry": entry.fillna("?").astype(str),
                                    "public": pd.to_numeric(lb["public"], errors="coerce")}))
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["time", "entry", "public"])
    return df.dropna(subset=["time", "public"]).sort_values("time", kind="stable").reset_index(drop=True)


def history_figure(df: pd.DataFrame, path, sources: list[str], competition: str | None = None) -> str:
    fig, ax = plt.subplots(figsize=(9, 4))
    entries = list(dict.fromkeys(df["entry"]))
    cmap = plt.get_cmap("tab10" if len(entries) <= 10 else "tab20")
    for n, name in enumerate(entries):
        rows = df[df["entry"] == name]
        ax.plot(rows["time"], rows["public"], "o-", color=cmap(n % cmap.N), ms=5, lw=1, label=name if n < 15 else None)
    ax.step(df["time"], df["public"].cummax(), where="post", color="black", lw=1, ls="--", alpha=0.6,
            label="best so far", zorder=1)
    if len(df) <= 30:
        for t, v in zip(df["time"], df["public"]):
            ax.annotate(f"{v:.4f}", (t, v), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=8)
    span = df["time"].max() - df["time"].min()
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=7))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d\n%H:%M" + (":%S" if span < pd.Timedelta("1h") else "")))
    ax.margins(x=0.08, y=0.2)
    ax.set_ylabel("public score")
    ax.set_xlabel("submission time")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    save_figure(fig, path)
    best = df.loc[df["public"].idxmax()]
    which = f" of competition {competition}" if competition else ""
    return (f"Public score of the {len(df)} leaderboard entries{which} over time, one colour per config, from "
            f"{', '.join(sources)}; best public {best['public']:.4f} ({best['entry']}). Private scores are not shown.")
