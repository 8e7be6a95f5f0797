"""The data -> competition -> score commands through the real CLI entry point."""
import pandas as pd
from typer.testing import CliRunner

import kit.cli.main  # noqa: F401  registers every command
from kit.cli.app import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_every_command_has_help():
    for cmd in (["data", "ingest"], ["data", "info"], ["competition", "make"], ["competition", "info"], ["score"],
                ["submit"], ["run"], ["pretrain"], ["finetune"], ["extract"], ["reduce"], ["cluster"], ["report"]):
        res = invoke(*cmd, "--help")
        assert res.exit_code == 0, (cmd, res.output)
        assert "Usage" in res.output


def test_ingest_make_score_roundtrip(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = invoke("data", "ingest", "digits", "-O", "limit=300", "--out", tmp_path / "d.npz")
    assert res.exit_code == 0, res.output
    assert invoke("data", "info", tmp_path / "d.npz").exit_code == 0
    res = invoke("competition", "make", "--source-file", tmp_path / "d.npz", "--type", "label",
                 "--labels-per-class", "2", "--out", tmp_path / "comp")
    assert res.exit_code == 0, res.output
    sol = pd.read_csv(tmp_path / "comp" / "hidden" / "solution.csv", dtype={"id": str})
    sol[["id", "label"]].to_csv(tmp_path / "perfect.csv", index=False)
    res = invoke("score", tmp_path / "perfect.csv", "--competition", tmp_path / "comp")
    assert res.exit_code == 0, res.output
    assert "1.0000" in res.output
    lb = pd.read_csv(tmp_path / "submissions" / "leaderboard.csv")
    assert lb["public"].tolist() == [1.0] and lb["private"].tolist() == [1.0]


def test_bad_submission_exits_2_with_message(tmp_path):
    import subprocess
    import sys

    invoke("competition", "make", "--source", "digits", "--out", tmp_path / "comp")
    pd.DataFrame({"id": ["x"], "label": [1]}).to_csv(tmp_path / "bad.csv", index=False)
    proc = subprocess.run([sys.executable, "-m", "kit", "score", str(tmp_path / "bad.csv"), "--competition",
                           str(tmp_path / "comp"), "--no-leaderboard"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unknown id" in proc.stderr and "Traceback" not in proc.stderr


def test_make_needs_exactly_one_source(tmp_path):
    res = invoke("competition", "make", "--out", tmp_path / "c")
    assert res.exit_code != 0
