"""`kit run CONFIG KEY=VALUE...`: overrides reach the recorded config and the stage hashes, --private shows the
private score, stages print progress lines, a cached re-run adds no leaderboard duplicate, every submission gets a
name of its own (no run overwrites another's file), --leaderboard/--no-leaderboard override the config both ways,
and the submission's path is the only thing on stdout."""
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import kit.cli.main  # noqa: F401  registers every command
from kit.cli.app import app
from kit.errors import ConfigError

runner = CliRunner()


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = {
        "name": "digits",
        "seed": 0,
        "competition": {"dir": str(tmp_path / "competitions" / "digits"),
                        "make": {"source": {"kind": "digits"}, "type": "label", "public_fraction": 0.3}},
        "pretrain": {"model": "mlp_ae", "model_kwargs": {"latent_dim": 8}, "epochs": 3, "batch_size": 256},
        "reduce": [{"method": "pca", "n_components": 6}],
        "cluster": {"method": "kmeans", "n_clusters": 10},
        "submit": {"copy_to": str(tmp_path / "submissions" / "digits.csv")},
    }
    path = tmp_path / "digits.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return tmp_path, path


def run(*args):
    return runner.invoke(app, ["run", *map(str, args)], terminal_width=200)


def write_config(root, filename, **changes):
    """The fixture's config with some top-level keys replaced, under another file name."""
    cfg = {**yaml.safe_load((root / "digits.yaml").read_text()), **changes}
    path = root / filename
    path.write_text(yaml.safe_dump(cfg))
    return path


def stage_dirs(root):
    return json.loads((root / "runs" / "digits" / "stages.json").read_text())


def test_overrides_reach_config_yaml_and_stage_hashes(setup):
    root, cfg = setup
    res = run(cfg, "pretrain.epochs=1", "cluster.method=gmm", "reduce.0.n_components=4", "--runs-dir", root / "runs",
              "--no-leaderboard")
    assert res.exit_code == 0, res.output
    recorded = yaml.safe_load((root / "runs" / "digits" / "config.yaml").read_text())
    assert recorded["pretrain"]["epochs"] == 1 and recorded["cluster"]["method"] == "gmm"
    assert recorded["reduce"] == [{"method": "pca", "n_components": 4}]
    assert yaml.safe_load(cfg.read_text())["pretrain"]["epochs"] == 3  # the file is untouched
    first = stage_dirs(root)
    assert len(pd.read_csv(Path(first["pretrain"]) / "metrics.csv")) == 1  # pretrain.epochs=1 was used

    res = run(cfg, "pretrain.epochs=1", "cluster.method=kmeans", "reduce.0.n_components=4", "--runs-dir",
              root / "runs", "--no-leaderboard")
    assert res.exit_code == 0, res.output
    second = stage_dirs(root)
    # only the overridden stage (and what follows it) gets a new hash
    assert {k for k in first if first[k] != second[k]} == {"cluster", "validate", "submit"}
    assert yaml.safe_load((root / "runs" / "digits" / "config.yaml").read_text())["cluster"]["method"] == "kmeans"


def test_private_score_only_with_private_and_no_duplicate_on_cached_rerun(setup):
    root, cfg = setup
    res = run(cfg, "pretrain.epochs=1", "--runs-dir", root / "runs")
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "public" in out and "private hidden" in out
    scores = json.loads((root / "submissions" / "digits.json").read_text())["scores"]
    assert f"private {scores['private']:.4f}" not in out
    # stages say when they start and end: method, N and seconds
    assert "reduce: pca on 1797 x 8" in out and "reduce: done, 1797 x 6 in" in out
    assert "cluster: kmeans (k=10) on 1797 x 6" in out and "cluster: done, 10 clusters" in out

    res = run(cfg, "pretrain.epochs=1", "--runs-dir", root / "runs", "--private")
    assert res.exit_code == 0, res.output
    assert f"private {scores['private']:.4f}" in " ".join(res.output.split())
    assert "reduce:" not in res.output  # everything cached
    lb = pd.read_csv(root / "submissions" / "leaderboard.csv")
    assert len(lb) == 1  # the cached re-run scored the same file, content and config: no second row


def test_unknown_override_key_fails_before_any_work(setup):
    root, cfg = setup
    res = run(cfg, "pretrain.epochz=1", "--runs-dir", root / "runs")
    assert isinstance(res.exception, ConfigError) and "did you mean 'epochs'" in str(res.exception)
    assert not (root / "runs").exists()


def test_same_fraction_on_a_label_competition_fails_before_training(setup):
    root, cfg = setup
    res = run(cfg, "submit.same_fraction=0.5", "--runs-dir", root / "runs")
    assert isinstance(res.exception, ConfigError) and "submit.same_fraction is for pairs competitions" in str(res.exception)
    assert not list((root / "runs" / "digits").glob("pretrain-*"))  # nothing trained


def test_submissions_get_names_of_their_own_and_rows_keep_their_content(setup):
    from kit.competition.leaderboard import file_digest

    root, _ = setup
    default = write_config(root, "a.yaml", submit={})  # copy_to defaults to submissions/digits-{id}.csv
    other = write_config(root, "b.yaml", submit={}, cluster={"method": "gmm", "n_clusters": 10})  # same name "digits"
    outs = []
    for args in ((default,), (other,), (default, "cluster.n_init=3"), (default,)):  # the last: a cached rerun
        res = run(*args, "pretrain.epochs=1", "--runs-dir", root / "runs")
        assert res.exit_code == 0, res.output
        outs.append(Path(res.stdout.strip()))  # stdout: the path and nothing else
    assert all(p.parent == Path("submissions") and p.name.startswith("digits-") for p in outs)
    assert outs[3] == outs[0]  # the same config and content: the same file, no new row
    lb = pd.read_csv(root / "submissions" / "leaderboard.csv", dtype=str)
    assert len(lb) == len(set(outs[:3])) == len(lb["file"].unique()), lb
    for row in lb.to_dict("records"):  # every row's file still holds the content whose digest the row records
        assert file_digest(root / row["file"]) == row["digest"] and row["competition"] == "digits"
        assert json.loads((root / row["file"]).with_suffix(".json").read_text())["config_hash"] == row["config_hash"]
    record = json.loads((root / outs[0]).with_suffix(".json").read_text())
    assert record["determinism"]["threads"] >= 1 and "cpu_capability" in record["determinism"]


def test_fixed_copy_to_holding_another_submission_is_not_overwritten(setup):
    root, cfg = setup
    res = run(cfg, "pretrain.epochs=1", "--runs-dir", root / "runs", "--no-leaderboard")
    fixed = root / "submissions" / "digits.csv"
    assert res.exit_code == 0 and Path(res.stdout.strip()) == fixed
    before = fixed.read_bytes()
    res = run(cfg, "pretrain.epochs=1", "cluster.method=gmm", "--runs-dir", root / "runs", "--no-leaderboard")
    assert res.exit_code == 0, res.output
    moved = Path(res.stdout.strip())
    assert moved.parent == fixed.parent and moved.name.startswith("digits-") and "never overwritten" in res.stderr
    assert fixed.read_bytes() == before and moved.read_bytes() != before


def test_leaderboard_flag_overrides_the_config_both_ways(setup):
    root, _ = setup
    off = write_config(root, "off.yaml", submit={"leaderboard": False})
    board = root / "submissions" / "leaderboard.csv"
    for flags, rows in (((), 0), (("--no-leaderboard",), 0), (("--leaderboard",), 1)):
        res = run(off, "pretrain.epochs=1", "--runs-dir", root / "runs", *flags)
        assert res.exit_code == 0, res.output
        assert (len(pd.read_csv(board)) if board.exists() else 0) == rows, flags
    on = write_config(root, "on.yaml", submit={"leaderboard": True}, cluster={"method": "gmm", "n_clusters": 10})
    assert run(on, "pretrain.epochs=1", "--runs-dir", root / "runs", "--no-leaderboard").exit_code == 0
    assert len(pd.read_csv(board)) == 1  # --no-leaderboard wins over the config's true
    assert run(on, "pretrain.epochs=1", "--runs-dir", root / "runs").exit_code == 0
    assert len(pd.read_csv(board)) == 2  # absent: the config's true


def test_a_runs_folder_that_is_a_file_is_one_line_before_any_work(setup):
    root, cfg = setup
    (root / "ofile").write_text("x")
    res = run(cfg, "--runs-dir", root / "ofile")
    assert isinstance(res.exception, ConfigError) and str(res.exception).startswith("--runs-dir")
    assert "ofile is a file; expected a folder" in str(res.exception)
    assert not (root / "competitions").exists()
    res = run(cfg, "-o", root / "ofile")  # the deprecated spelling: the same folder, and one line saying so
    assert isinstance(res.exception, ConfigError) and str(res.exception).startswith("--runs-dir")
    assert "-o/--out RUNS_DIR is deprecated and will be removed; write --runs-dir RUNS_DIR" in res.output


@pytest.mark.parametrize("override, message", [
    ("cluster.seed=-1", "cluster.kmeans.seed must be an integer >= 0 and <= 4294967295, got -1"),
    ("reduce.0.seed=-1", "reduce.pca.seed must be an integer >= 0 and <= 4294967295, got -1"),
    ("submit.copy_to=ofile/x.csv", "ofile is a file, so ofile/x.csv cannot be created inside it"),
    ("reduce.0.n_components=9", "the features are the pretrain model's latent code"),
    ("pretrain.model=timm:test_resnet", "timm encoders ignore latent_dim"),
])
def test_late_mistakes_fail_at_load_before_any_stage(setup, override, message):
    root, cfg = setup
    (root / "ofile").write_text("x")
    res = run(cfg, override, "--runs-dir", root / "runs")
    assert isinstance(res.exception, ConfigError) and message in str(res.exception), res.output
    assert not (root / "runs").exists() and not (root / "competitions").exists()
