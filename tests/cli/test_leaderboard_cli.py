"""`kit leaderboard`: entries best public score first; private scores only with --private."""
import pandas as pd
from typer.testing import CliRunner

import kit.cli.main  # noqa: F401  registers every command
from kit.cli.app import app
from kit.competition.leaderboard import append_entry

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["leaderboard", *map(str, args)], terminal_width=200)


def make_board(path):
    for name, public, private in (("low.csv", 0.3111, 0.9111), ("high.csv", 0.8222, 0.1222), ("mid.csv", 0.5333, 0.4333)):
        append_entry(path, file=name, public=public, private=private, nmi=0.0, ari=0.0, config_hash=f"hash-{name}",
                     digest="", extra={"config": name.split(".")[0] + "_cfg"})


def test_sorted_by_public_with_private_hidden(tmp_path):
    path = tmp_path / "lb.csv"
    make_board(path)
    res = invoke("--file", path)
    assert res.exit_code == 0, res.output
    out = res.output
    assert out.index("high.csv") < out.index("mid.csv") < out.index("low.csv")
    assert all(p in out for p in ("0.8222", "0.5333", "0.3111")) and "high_cfg" in out
    assert not any(p in out for p in ("0.9111", "0.1222", "0.4333")) and "private scores hidden" in out
    assert str(pd.read_csv(path)["time"].iloc[0]) in out

    res = invoke("--file", path, "--private")
    assert res.exit_code == 0 and all(p in res.output for p in ("0.9111", "0.1222", "0.4333"))
    top = invoke("--file", path, "--top", "1").output
    assert "high.csv" in top and "mid.csv" not in top


def test_default_file_and_missing_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = invoke()
    assert "no leaderboard yet" in str(res.exception)
    make_board(tmp_path / "submissions" / "leaderboard.csv")
    assert "high.csv" in invoke().output


def test_brackets_in_file_names_are_shown(tmp_path):
    path = tmp_path / "lb.csv"
    append_entry(path, file="[bold]x[/bold].csv", public=0.5, private=0.5, nmi=0.0, ari=0.0, digest="")
    res = invoke("--file", path)
    assert res.exit_code == 0 and "[bold]x[/bold].csv" in res.output
