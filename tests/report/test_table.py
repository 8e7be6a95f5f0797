"""The results table: run folders and leaderboard entries."""
import json

import pandas as pd
import pytest

from kit.errors import DataError
from kit.report import RunContext
from kit.report.table import describe_steps, leaderboard_rows, results_table


def test_describe_steps():
    assert describe_steps([{"method": "pca", "n_components": 50}, {"method": "tsne", "n_components": 2}]) == "pca50 -> tsne2"
    assert describe_steps([{"method": "standardize"}]) == "standardize"
    assert describe_steps([]) == "none"


def test_run_rows(runs):
    _, (a, _, raw) = runs
    df = results_table([RunContext.load(a), RunContext.load(raw)])
    row_a, row_raw = df.iloc[0], df.iloc[1]
    scores = json.loads((next(a.glob("submit-*")) / "scores.json").read_text())
    metrics = pd.read_csv(next(a.glob("pretrain-*")) / "metrics.csv")
    assert row_a["public"] == scores["public"] and row_a["private"] == scores["private"]
    assert row_a["recon_mse"] == metrics["train_mse"].iloc[-1]
    assert row_a["reduction"] == "pca5" and row_a["cluster"] == "kmeans" and row_a["latent_dim"] == 8
    assert row_raw["model"] == "raw pixels" and pd.isna(row_raw["recon_mse"])


def test_leaderboard_entries_join_the_table(runs, tmp_path):
    base, (a, _, _) = runs
    config_hash = json.loads((next(a.glob("submit-*")) / "submission.json").read_text())["config_hash"]
    lb = base / "submissions" / "leaderboard.csv"
    lb.parent.mkdir(exist_ok=True)
    pd.DataFrame([{"file": "s/a.csv", "time": "t", "config_hash": config_hash, "git_commit": "", "public": 0.5,
                   "private": 0.4, "nmi": 0.3, "ari": 0.2, "config": "a"},
                  {"file": "s/old.csv", "time": "t", "config_hash": "stale", "git_commit": "", "public": 0.1,
                   "private": 0.1, "nmi": 0.1, "ari": 0.1, "config": "a"}]).to_csv(lb, index=False)
    rows = leaderboard_rows(lb)
    assert rows[0]["public"] == 0.5 and rows[0]["reduction"] == "pca5"  # matched runs/a by config hash
    assert rows[1]["reduction"] == "–"  # stale hash: the run no longer describes that entry
    (tmp_path / "bad.csv").write_text("x,y\n1,2\n")
    with pytest.raises(DataError, match="missing columns"):
        leaderboard_rows(tmp_path / "bad.csv")


def test_the_table_keeps_only_the_runs_competitions(runs, tmp_path):
    """Was: the report's table listed every competition's leaderboard rows beside the run, with no column to tell."""
    _, (a, _, _) = runs
    ctx = RunContext.load(a)
    lb = tmp_path / "leaderboard.csv"
    common = {"time": "t", "config_hash": "h", "git_commit": "", "private": 0.4, "nmi": 0.3, "ari": 0.2}
    pd.DataFrame([{"file": "same.csv", "competition": ctx.comp.name, "public": 0.5, **common},
                  {"file": "other.csv", "competition": "another_competition", "public": 0.9, **common},
                  {"file": "old.csv", "competition": "", "public": 0.1, **common}]).to_csv(lb, index=False)
    df = results_table([ctx], [lb])
    assert df["competition"].tolist() == [ctx.comp.name, ctx.comp.name, "–"]
    assert 0.9 not in df["public"].tolist()
    assert len(results_table([], [lb])) == 3  # no run names a competition: every row
