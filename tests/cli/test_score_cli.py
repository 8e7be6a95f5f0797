"""`kit score`: scores, leaderboard (with the competition's name), finding the competition, the competition's own
metric, private hidden by default, validation only without a hidden solution, exit code 2 on a bad submission, and
the scores on stdout (table, CSV or TSV) with notes on stderr."""
import io
import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

import kit.cli.main  # noqa: F401  registers every command
from kit.cli.app import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], terminal_width=200)


@pytest.fixture(scope="module")
def comp(tmp_path_factory):
    out = tmp_path_factory.mktemp("comp") / "c"
    res = invoke("competition", "make", "--source", "digits", "-O", "limit=300", "--out", out)
    assert res.exit_code == 0, res.output
    return out


def perfect(comp, path):
    sol = pd.read_csv(comp / "hidden" / "solution.csv", dtype={"id": str})
    sol[["id", "label"]].assign(label=(sol["label"] + 3) % 10).to_csv(path, index=False)  # relabelled: clustering
    return path


def test_score_appends_leaderboard(tmp_path, comp, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sub = perfect(comp, tmp_path / "perfect.csv")
    res = invoke("score", sub, "--competition", comp, "--config-hash", "h123")
    assert res.exit_code == 0, res.output
    assert res.output.count("1.0000") == 3  # public, NMI, ARI: private hidden
    res = invoke("score", sub, "--competition", comp, "--config-hash", "h123", "--private")
    assert res.exit_code == 0 and res.output.count("1.0000") == 4
    assert "already on" in res.output  # same file, content and config hash: not appended twice
    lb = pd.read_csv(tmp_path / "submissions" / "leaderboard.csv", dtype={"config_hash": str})
    assert lb["public"].tolist() == [1.0] and lb["private"].tolist() == [1.0] and lb["config_hash"].tolist() == ["h123"]
    assert lb["competition"].tolist() == [comp.name]  # the competition's name (its folder's, when not set)
    res = invoke("score", sub, "--competition", comp, "--leaderboard-file", tmp_path / "other.csv")
    assert res.exit_code == 0 and len(pd.read_csv(tmp_path / "other.csv")) == 1
    res = invoke("score", sub, "--competition", comp, "--leaderboard", tmp_path / "old.csv")  # the old spelling
    assert res.exit_code == 0 and "deprecated" in res.output and len(pd.read_csv(tmp_path / "old.csv")) == 1
    for i, flag in enumerate(("-o", "--out")):  # -o names what a command writes; score appends to a log
        res = invoke("score", sub, "--competition", comp, flag, tmp_path / f"o{i}.csv")
        assert res.exit_code == 0 and len(pd.read_csv(tmp_path / f"o{i}.csv")) == 1, res.output
        assert [x for x in res.output.splitlines() if "deprecated" in x] == [
            "kit score: -o/--out LEADERBOARD is deprecated and will be removed; write --leaderboard-file LEADERBOARD "
            "(-o names the file a command writes; score appends a row to a leaderboard)"]


def test_competition_found_from_submission_json(tmp_path, comp):
    (tmp_path / "run").mkdir()
    sub = perfect(comp, tmp_path / "run" / "submission.csv")
    (tmp_path / "run" / "submission.json").write_text(json.dumps({"competition": str(comp), "config_hash": "cfg9"}))
    res = invoke("score", sub, "--leaderboard-file", tmp_path / "lb.csv")
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "lb.csv", dtype=str)["config_hash"].tolist() == ["cfg9"]
    other = perfect(comp, tmp_path / "run" / "v2.csv")  # no v2.json: falls back to submission.json in the folder
    assert invoke("score", other, "--no-leaderboard").exit_code == 0


def test_score_without_a_competition_says_what_to_pass(tmp_path, comp):
    from kit.errors import DataError

    sub = perfect(comp, tmp_path / "s.csv")
    res = invoke("score", sub, "--no-leaderboard")
    assert isinstance(res.exception, DataError) and "pass --competition" in str(res.exception)
    # a solution alone is not enough either: the metric must come from a competition.json
    (tmp_path / "s.json").write_text(json.dumps({"metric": "cluster_accuracy", "n_classes": 10}))
    res = invoke("score", sub, "--solution", comp / "hidden" / "solution.csv", "--no-leaderboard")
    assert isinstance(res.exception, DataError) and "pass --competition" in str(res.exception)


def test_metric_comes_from_competition_json_not_the_submission_json(tmp_path, comp):
    (tmp_path / "run").mkdir()
    sub = perfect(comp, tmp_path / "run" / "submission.csv")  # relabelled: 1.0 only under cluster_accuracy
    (tmp_path / "run" / "submission.json").write_text(json.dumps({"competition": str(comp), "metric": "accuracy"}))
    res = invoke("score", sub, "--no-leaderboard", "--format", "table")
    assert res.exit_code == 0, res.output
    assert "(cluster_accuracy)" in res.output and res.output.count("1.0000") == 3


def test_private_score_hidden_unless_asked(tmp_path, comp):
    from kit.competition import score_submission

    sol = pd.read_csv(comp / "hidden" / "solution.csv", dtype={"id": str})
    sol = sol.assign(label=sol["label"].where(sol["Usage"] == "Public", 0))  # right on public rows only
    sol[["id", "label"]].to_csv(tmp_path / "half.csv", index=False)
    scores = score_submission(tmp_path / "half.csv", comp / "hidden" / "solution.csv", "cluster_accuracy")
    assert scores["public"] == 1.0 and scores["private"] < 0.5
    private = f"{scores['private']:.4f}"
    res = invoke("score", tmp_path / "half.csv", "--competition", comp, "--no-leaderboard")
    assert res.exit_code == 0 and private not in res.output and "private score hidden" in res.output
    res = invoke("score", tmp_path / "half.csv", "--competition", comp, "--no-leaderboard", "--private")
    assert res.exit_code == 0 and private in res.output


def test_without_a_hidden_solution_the_submission_is_only_validated(tmp_path, comp, monkeypatch):
    import shutil

    monkeypatch.chdir(tmp_path)
    public = tmp_path / "public_comp"
    shutil.copytree(comp, public, ignore=shutil.ignore_patterns("hidden"))
    sub = perfect(comp, tmp_path / "s.csv")
    res = invoke("score", sub, "--competition", public)
    assert res.exit_code == 0, res.output
    assert "no offline solution for this competition" in " ".join(res.output.split())
    assert "1.0000" not in res.output and not (tmp_path / "submissions").exists()
    pd.read_csv(sub).iloc[:-1].to_csv(tmp_path / "short.csv", index=False)
    proc = subprocess.run([sys.executable, "-m", "kit", "score", str(tmp_path / "short.csv"), "--competition",
                           str(public)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2 and "expected 300 rows, got 299" in proc.stderr


def test_bad_submission_exits_2_with_message(tmp_path, comp, monkeypatch, capsys):
    sub = tmp_path / "bad.csv"
    pd.read_csv(comp / "sample_submission.csv", dtype=str).iloc[:-2].to_csv(sub, index=False)
    monkeypatch.setattr(sys, "argv", ["kit", "score", str(sub), "--competition", str(comp), "--no-leaderboard"])
    with pytest.raises(SystemExit) as exit_info:
        kit.cli.main.main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    missing = pd.read_csv(comp / "sample_submission.csv", dtype=str)["id"].iloc[-2:].tolist()
    assert err == f"error: expected 300 rows, got 298; missing ids (first 2): {missing}\n"  # one line, ids kept


def test_bad_submission_exits_2_from_the_real_entry_point(tmp_path, comp):
    pd.DataFrame({"id": ["x"], "label": [1]}).to_csv(tmp_path / "bad.csv", index=False)
    proc = subprocess.run([sys.executable, "-m", "kit", "score", str(tmp_path / "bad.csv"), "--competition",
                           str(comp), "--no-leaderboard"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown id" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "submissions").exists()


def test_scores_on_stdout_notes_on_stderr(tmp_path, comp):
    sub = perfect(comp, tmp_path / "perfect.csv")
    lb = tmp_path / "lb.csv"
    res = invoke("score", sub, "--competition", comp, "--leaderboard-file", lb, "--format", "csv", "--private")
    assert res.exit_code == 0, res.output
    row = pd.read_csv(io.StringIO(res.stdout), dtype={"submission": str, "competition": str})
    assert row.columns.tolist() == ["submission", "competition", "metric", "public", "private", "NMI", "ARI"]
    assert row.iloc[0].tolist() == [str(sub), comp.name, "cluster_accuracy", 1.0, 1.0, 1.0, 1.0]
    assert "appended to" in res.stderr and "public rows" in res.stderr and "appended" not in res.stdout
    res = invoke("score", sub, "--competition", comp, "--leaderboard-file", lb)  # not a terminal: TSV, private hidden
    assert res.stdout.splitlines()[0] == "submission\tcompetition\tmetric\tpublic\tNMI\tARI"
    assert "already on" in res.stderr and "private score hidden" in res.stderr

    # the real entry point, redirected to a file: the file holds the scores and nothing else
    out = tmp_path / "out.tsv"
    with open(out, "w") as f:
        proc = subprocess.run([sys.executable, "-m", "kit", "score", str(sub), "--competition", str(comp),
                               "--no-leaderboard"], stdout=f, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert pd.read_csv(out, sep="\t")["public"].tolist() == [1.0] and "public rows" in proc.stderr
