"""Leaderboard log: atomic appends that keep every earlier row and extra columns."""
import re

import pandas as pd

from kit.competition.leaderboard import COLUMNS, append_entry, git_commit


def test_append_keeps_history_and_extra_columns(tmp_path):
    path = tmp_path / "sub" / "leaderboard.csv"
    append_entry(path, file="a.csv", public=0.5, private=0.25, nmi=0.1, ari=0.2, config_hash="abc", git_commit="f00")
    append_entry(path, file="b.csv", public=1.0, private=0.75, nmi=0.3, ari=0.4, extra={"seconds": 12.5})
    lb = pd.read_csv(path)
    assert list(lb.columns) == COLUMNS + ["seconds"]
    assert lb["file"].tolist() == ["a.csv", "b.csv"] and lb["private"].tolist() == [0.25, 0.75]
    assert lb["config_hash"].iloc[0] == "abc" and pd.isna(lb["seconds"].iloc[0]) and lb["seconds"].iloc[1] == 12.5
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", lb["time"].iloc[1])
    assert [p.name for p in path.parent.iterdir()] == ["leaderboard.csv"]  # no temp files left


def test_git_commit_is_short_hash_or_empty():
    assert re.fullmatch(r"([0-9a-f]{7,40}(\+dirty)?)?", git_commit())
