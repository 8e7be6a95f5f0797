"""`kit competition make` / `kit competition info` through the Typer app."""
import json

import pandas as pd
from typer.testing import CliRunner

import kit.cli.main  # noqa: F401  registers every command
from kit.cli.app import app
from kit.competition import load_competition
from kit.errors import ConfigError, DataError

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], terminal_width=200)


def test_make_from_source_kind_with_labels(tmp_path):
    res = invoke("competition", "make", "--source", "digits", "-O", "limit=200", "--labels-per-class", "2",
                 "--public-fraction", "0.4", "--seed", "5", "--name", "tiny", "--out", tmp_path / "c")
    assert res.exit_code == 0, res.output
    comp = load_competition(tmp_path / "c")
    assert comp.name == "tiny" and comp.metric == "accuracy" and len(comp.labeled) == 20 and len(comp.images) == 200
    sol = pd.read_csv(tmp_path / "c" / "hidden" / "solution.csv")
    assert (sol["Usage"] == "Public").sum() == 72  # 0.4 x 180 rows
    meta = json.loads((tmp_path / "c" / "competition.json").read_text())
    assert meta["source"] == {"kind": "digits", "limit": 200} and meta["seed"] == 5
    res = invoke("competition", "info", tmp_path / "c")
    assert res.exit_code == 0 and "accuracy" in res.output and "180" in res.output


def test_make_from_source_file_binary_and_pairs(tmp_path):
    assert invoke("data", "ingest", "digits", "-O", "limit=300", "--out", tmp_path / "d.npz").exit_code == 0
    res = invoke("competition", "make", "--source-file", tmp_path / "d.npz", "--type", "binary", "--groups", "0,1;7,8",
                 "--out", tmp_path / "b")
    assert res.exit_code == 0, res.output
    b = load_competition(tmp_path / "b")
    assert b.metric == "binary_accuracy" and b.class_names == ["0+1", "7+8"] and 100 < len(b.images) < 140
    res = invoke("competition", "make", "--source-file", tmp_path / "d.npz", "--type", "pairs", "--n-pairs", "50",
                 "--n-images", "100", "--out", tmp_path / "p")
    assert res.exit_code == 0, res.output
    p = load_competition(tmp_path / "p")
    assert len(p.pairs) == 50 and len(p.images) == 100


def test_make_refuses_to_overwrite_unless_asked(tmp_path):
    args = ["competition", "make", "--source", "digits", "-O", "limit=50", "--out", tmp_path / "c"]
    assert invoke(*args).exit_code == 0
    res = invoke(*args)
    assert isinstance(res.exception, DataError) and "already exists" in str(res.exception)
    assert invoke(*args, "--overwrite", "--seed", "1").exit_code == 0


def test_make_needs_exactly_one_source_and_sane_groups(tmp_path):
    res = invoke("competition", "make", "--out", tmp_path / "c")
    assert isinstance(res.exception, ConfigError) and "exactly one of --source" in str(res.exception)
    res = invoke("competition", "make", "--source", "digits", "--type", "binary", "--groups", "0,1", "--out", tmp_path / "c")
    assert isinstance(res.exception, ConfigError) and "--groups must be two" in str(res.exception)
    assert not (tmp_path / "c").exists()
