"""`kit leaderboard`: entries best public score first; private scores only with --private; a competition column
and filter; the list on stdout, complete when piped (TSV/CSV, or a table not cut at 80 columns), notes on stderr."""
import io
import os
import subprocess
import sys

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
                     digest="", competition="comp_" + name[0], extra={"config": name.split(".")[0] + "_cfg"})


def test_sorted_by_public_with_private_hidden(tmp_path):
    path = tmp_path / "lb.csv"
    make_board(path)
    res = invoke("--file", path, "--format", "table")
    assert res.exit_code == 0, res.output
    out = res.output
    assert out.index("high.csv") < out.index("mid.csv") < out.index("low.csv")
    assert all(p in out for p in ("0.8222", "0.5333", "0.3111")) and "high_cfg" in out
    assert not any(p in out for p in ("0.9111", "0.1222", "0.4333")) and "private scores hidden" in out
    assert str(pd.read_csv(path)["time"].iloc[0]) in out

    res = invoke("--file", path, "--private", "--format", "table")
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


def test_competition_column_and_filter(tmp_path):
    path = tmp_path / "lb.csv"
    make_board(path)
    table = invoke("--file", path, "--format", "table").stdout
    assert "competition" in table and all(c in table for c in ("comp_h", "comp_m", "comp_l"))
    res = invoke("--file", path, "--competition", "comp_m", "--format", "csv")
    assert res.exit_code == 0, res.output
    rows = pd.read_csv(io.StringIO(res.stdout), dtype=str)
    assert rows["file"].tolist() == ["mid.csv"] and rows["competition"].tolist() == ["comp_m"]
    res = invoke("--file", path, "-c", "nope")  # neither a name on the leaderboard nor a competition folder
    assert res.exit_code != 0 and "--competition nope: neither a competition on" in str(res.exception)
    assert "comp_h" in str(res.exception) and res.stdout == ""


def test_competition_may_be_a_folder(tmp_path, capsys, monkeypatch):
    """-c is a competition folder in cluster/score/blend: here too, resolved to its name (competition.json)."""
    import json

    from tests.cli_main import kit_main

    path = tmp_path / "lb.csv"
    make_board(path)
    comp = tmp_path / "comp"
    comp.mkdir()
    (comp / "competition.json").write_text(json.dumps({"name": "comp_m", "type": "label"}))
    monkeypatch.chdir(tmp_path)
    res = invoke("--file", path, "-c", "./comp", "--format", "csv")
    assert res.exit_code == 0, res.output
    assert pd.read_csv(io.StringIO(res.stdout), dtype=str)["file"].tolist() == ["mid.csv"]
    (comp / "competition.json").write_text(json.dumps({"type": "label"}))  # no name: the folder's, as kit score
    res = invoke("--file", path, "-c", comp)
    assert res.exit_code == 0 and "no entries for competition 'comp'" in res.stderr, res.output
    (tmp_path / "plain").mkdir()
    for bad, words in (("plain", "not a competition folder (no competition.json)"),
                       ("./nope", "neither a competition on")):
        code, _, err = kit_main(capsys, "leaderboard", "--file", path, "-c", bad)
        assert code == 2 and err.count("\n") == 1 and words in err and "Traceback" not in err, err


def test_list_on_stdout_complete_notes_on_stderr(tmp_path):
    path = tmp_path / "lb.csv"
    long_name = "submissions/" + "a_very_long_submission_name_" * 5 + "x.csv"  # far past 80 columns
    append_entry(path, file=long_name, public=0.7, private=0.6, nmi=0.0, ari=0.0, digest="", competition="c",
                 extra={"config": "cfg"})
    make_board(path)
    res = invoke("--file", path, "--private", "--format", "tsv")
    assert res.exit_code == 0, res.output
    rows = pd.read_csv(io.StringIO(res.stdout), sep="\t", dtype=str)
    assert rows["file"].tolist() == ["high.csv", long_name, "mid.csv", "low.csv"]
    assert rows["private"].tolist() == ["0.1222", "0.6", "0.4333", "0.9111"] and rows["config"].iloc[0] == "high_cfg"
    assert "private" not in res.stderr  # --private: no note
    res = invoke("--file", path)  # hidden private scores: the note is on stderr, not in the list
    assert "private scores hidden" in res.stderr and "private scores hidden" not in res.stdout

    # the real entry point into a pipe: not a terminal, so TSV by default, and --format table is not cut either
    proc = subprocess.run([sys.executable, "-m", "kit", "leaderboard", "--file", str(path)], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    assert pd.read_csv(io.StringIO(proc.stdout), sep="\t", dtype=str)["file"].tolist()[1] == long_name
    assert "private scores hidden" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "kit", "leaderboard", "--file", str(path), "--format", "table"],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"})
    assert proc.returncode == 0 and long_name in proc.stdout and "0.7000" in proc.stdout
    assert max(map(len, proc.stdout.splitlines())) > 80  # one row per line, not wrapped
