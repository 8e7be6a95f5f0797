"""kit adds rows only to its own leaderboard: a foreign CSV or a folder given as the leaderboard is refused and
left as it was."""
import pytest

from kit.competition.leaderboard import append_entry, check_leaderboard, read_leaderboard
from kit.errors import ConfigError, DataError

ROW = dict(file="s.csv", public=0.5, private=0.4, nmi=0.3, ari=0.2, digest="d")


def test_a_foreign_csv_is_never_rewritten(tmp_path):
    foreign = tmp_path / "people.csv"
    foreign.write_text("name,age\nann,31\n")
    with pytest.raises(DataError, match=r"people.csv: not a kit leaderboard \(columns name,age, no file/public\)"):
        append_entry(foreign, **ROW)
    with pytest.raises(DataError, match="not a kit leaderboard"):
        check_leaderboard(foreign)
    assert foreign.read_text() == "name,age\nann,31\n"


def test_a_folder_is_refused_and_new_or_empty_files_are_fine(tmp_path):
    with pytest.raises(ConfigError, match="--leaderboard .* is a folder; expected a file path"):
        check_leaderboard(tmp_path, "--leaderboard")
    (tmp_path / "empty.csv").write_text("")
    for name in ("new.csv", "empty.csv"):
        assert append_entry(tmp_path / name, **ROW)
        assert read_leaderboard(tmp_path / name)["public"].tolist() == [0.5]
    assert append_entry(tmp_path / "new.csv", **{**ROW, "digest": "e"})  # a kit leaderboard takes more rows
