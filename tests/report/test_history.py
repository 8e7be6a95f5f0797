"""The leaderboard-history chart shows one competition: rows of other competitions are left out; a leaderboard written
before the competition column existed is kept whole."""
import pandas as pd

from kit.competition.leaderboard import append_entry
from kit.report.history import history_figure, leaderboard_history


def test_history_is_filtered_by_competition(tmp_path):
    path = tmp_path / "lb.csv"
    for name, comp, public in (("fm-1.csv", "fashion_mnist", 0.70), ("dg-1.csv", "digits", 0.95),
                               ("fm-2.csv", "fashion_mnist", 0.76)):
        append_entry(path, file=name, competition=comp, public=public, private=0.0, nmi=0.0, ari=0.0, digest="",
                     extra={"config": name.split("-")[0]})
    assert sorted(leaderboard_history([path])["public"]) == [0.70, 0.76, 0.95]  # no filter: every row
    fm = leaderboard_history([path], "fashion_mnist")
    assert fm["public"].tolist() == [0.70, 0.76] and set(fm["entry"]) == {"fm"}
    assert leaderboard_history([path], "digits")["public"].tolist() == [0.95]
    assert leaderboard_history([path], "cifar10").empty
    caption = history_figure(fm, tmp_path / "h.png", [str(path)], "fashion_mnist")
    assert "2 leaderboard entries of competition fashion_mnist" in caption and "0.7600" in caption
    assert (tmp_path / "h.png").stat().st_size > 0

    old = tmp_path / "old.csv"  # no competition column: it cannot be split, so it is shown whole
    pd.DataFrame({"file": ["a.csv", "b.csv"], "time": ["2026-01-01T10:00:00", "2026-01-02T10:00:00"],
                  "public": [0.5, 0.6]}).to_csv(old, index=False)
    assert leaderboard_history([old], "fashion_mnist")["public"].tolist() == [0.5, 0.6]
