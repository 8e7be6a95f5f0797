"""`kit sweep`: grid parsing, validation before training, shared cached stages, resume, results, hold-out loss."""
import json
import os

import numpy as np
import pandas as pd
import pytest

from kit.overrides import split_top_level
import yaml
from typer.testing import CliRunner

from kit.cli.main import main as kit_main
import kit.experiments.sweep as sweep
from kit.cli.app import app
from kit.competition import load_competition
from kit.config import NAME, validate_config
from kit.errors import ConfigError
from kit.models import load_model
from kit.pipeline import stages
from tests.pipeline.test_trust import kit_copy  # noqa: F401 (a fixture)

runner = CliRunner()


def base_config(tmp_path):
    return {
        "name": "dg",
        "competition": {"dir": str(tmp_path / "comp"),
                        "make": {"source": {"kind": "digits"}, "type": "label", "public_fraction": 0.3}},
        "pretrain": {"model": "mlp_ae", "model_kwargs": {"latent_dim": 8, "hidden": [32]}, "epochs": 1,
                     "batch_size": 256},
        "reduce": [{"method": "pca", "n_components": 4}],
        "cluster": {"method": "kmeans", "n_clusters": 10, "n_init": 1},
    }


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "dg.yaml"
    path.write_text(yaml.safe_dump(base_config(tmp_path)))
    return tmp_path, path


@pytest.fixture
def spy(monkeypatch):
    """Records every run_pipeline call (the cell's overrides and the stages it ran)."""
    calls = []
    real = sweep.run_pipeline

    def wrapped(config, **kw):
        result = real(config, **kw)
        calls.append({"name": config["name"], "overrides": kw["overrides"], "ran": result["ran"]})
        return result

    monkeypatch.setattr(sweep, "run_pipeline", wrapped)
    return calls


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*a, **kw):
        raise AssertionError("run_pipeline was called: validation must fail before any training")

    monkeypatch.setattr(sweep, "run_pipeline", refuse)


def cli(*args):
    return runner.invoke(app, ["sweep", *map(str, args)], terminal_width=200)


# ---------------------------------------------------------------- parsing (no training)


def test_values_split_on_top_level_commas_only_and_parse_as_yaml():
    assert split_top_level("1,2, 3") == ["1", "2", "3"]
    assert split_top_level("[a,b],c,{k: 1, j: 2}") == ["[a,b]", "c", "{k: 1, j: 2}"]
    assert split_top_level("'x,y',z") == ["'x,y'", "z"]
    cells = sweep.grid("dg", ["pretrain.epochs=1,2", "reduce=[{method: pca, n_components: 3}],[]"])
    assert len(cells) == 4  # cartesian product
    assert [c.values["pretrain.epochs"] for c in cells] == [1, 1, 2, 2]
    assert all(type(c.values["pretrain.epochs"]) is int for c in cells)
    assert cells[0].values["reduce"] == [{"method": "pca", "n_components": 3}] and cells[1].values["reduce"] == []
    assert cells[0].overrides == ["pretrain.epochs=1", "reduce=[{method: pca, n_components: 3}]"]


def test_cell_names_are_distinct_valid_run_names():
    cells = sweep.grid("dg", ["cluster.method=a b,a_b,a/b", "seed=1,2"])
    names = [c.name for c in cells]
    assert len(set(names)) == len(names) == 6
    assert all(NAME.fullmatch(n) for n in names)
    assert names[0] == "dg-cluster.method_a_b-seed_1"
    long = sweep.grid("dg", ["cluster.method=" + ",".join(["x" * 200, "x" * 201])])
    assert all(len(c.name) <= sweep.MAX_NAME for c in long) and long[0].name != long[1].name


@pytest.mark.parametrize("sets, message", [
    (["pretrain.epochz=1,2"], "--set pretrain.epochz=1: pretrain: unknown key 'epochz'; did you mean 'epochs'?"),
    (["clusterr.method=kmeans"], "--set clusterr.method: unknown key 'clusterr'; did you mean 'cluster'?"),
    (["cluster.n_clusters="], "--set cluster.n_clusters: no values"),
    (["cluster.n_clusters=,"], "--set cluster.n_clusters: no values"),
    (["cluster.n_clusters"], "expected key=v1,v2"),
    (["competition.make.public_fraction=0.3,0.5"], "--set competition.make.public_fraction: a sweep cannot change the competition"),
    (["competition.dir=a,b"], "cannot change the competition"),
    (["name=a,b"], "--set name: the sweep names each run itself"),
    (["finetune.epochs=1,2"], "--set finetune.epochs: the config has no 'finetune' section"),
    (["pretrain.epochs=1,-1"], "--set pretrain.epochs=-1: pretrain.epochs must be"),
    (["pretrain.epochs=1,2", "pretrain.epochs=3"], "--set pretrain.epochs: given twice"),
    (["pretrain.epochs=1,1"], "listed twice"),
    (["pretrain.model_kwargs.depth=1,4"], "mlp_ae: depth must be one of [1, 2, 3], got 4"),
])
def test_bad_input_is_one_line_config_error_before_training(setup, no_training, sets, message):
    root, path = setup
    with pytest.raises(ConfigError) as e:
        sweep.run_sweep(path, sets, out=root / "out", runs_dir=root / "runs")
    assert message in str(e.value) and "\n" not in str(e.value)
    assert not (root / "runs").exists()


def test_cli_bad_input_exits_2_with_one_line(setup, no_training, capsys):
    root, path = setup
    for args, message in [(["--set", "pretrain.epochz=1,2"], "did you mean 'epochs'"),
                          (["--set", "cluster.n_clusters=8,10", "--holdout-source", "digits"], "not held out"),
                          (["--set", "cluster.n_clusters=8", "--holdout-source", "split=test"], "expected NAME")]:
        with pytest.raises(SystemExit) as exit_info:
            kit_main(["sweep", str(path), *args, "-o", str(root / "out")])
        last = capsys.readouterr().err.rstrip("\n").splitlines()[-1]  # above it: "building competition ..."
        assert exit_info.value.code == 2 and message in last and last.startswith("error: ")


def test_cells_share_one_competition_even_when_the_name_or_seed_would_move_it(tmp_path):
    raw = base_config(tmp_path)
    del raw["competition"]["dir"]  # default: competitions/<name>, and each cell has its own name
    base = validate_config(raw)
    pinned = sweep.pinned_config(raw, base)
    cells = sweep.grid("dg", ["seed=1,2"])
    configs = sweep.validate_cells(pinned, base, cells)
    assert [c["name"] for c in configs.values()] == [c.name for c in cells]
    assert [c["seed"] for c in configs.values()] == [1, 2]
    for cfg in configs.values():  # the competition's own seed stays the config's (0): same competition folder
        assert cfg["competition"]["dir"] == "competitions/dg" and cfg["competition"]["make"]["seed"] == 0
    assert "seed" not in raw["competition"]["make"]  # the caller's config is not modified


def test_holdout_must_match_the_competition_image_shape(setup, no_training):
    root, path = setup
    np.save(root / "big.npy", np.zeros((5, 16, 16), np.uint8))
    with pytest.raises(ConfigError, match=r"--holdout-source: images are \(16, 16, 1\).*resize=\[8,8\]"):
        sweep.run_sweep(path, ["seed=1,2"], out=root / "out", holdout=f"npy:x={root / 'big.npy'}")


def test_metric_lines_one_line_per_value_of_the_other_keys():
    rows = [{"a": a, "b": b, "public": a * 10 + (b == "y")} for a in (2, 1) for b in ("x", "y")]
    xs, numeric, lines = sweep.metric_lines(rows, "public", "a", ["a", "b"])
    assert xs == [2, 1] and numeric
    assert lines == {"b=x": [(1, 10.0), (2, 20.0)], "b=y": [(1, 11.0), (2, 21.0)]}
    xs, numeric, lines = sweep.metric_lines(rows, "public", "b", ["a", "b"])
    assert not numeric and set(lines) == {"a=2", "a=1"} and lines["a=1"] == [(0, 10.0), (1, 11.0)]


# ---------------------------------------------------------------- real runs on digits (tiny)


def pixel_mse(model, images):
    """The documented train/test loss, computed directly: mean over images and pixels (in [0, 1]) of the squared
    difference between the eval-mode reconstruction (the autoencoder's forward, no noise) and the image."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).double() / 255
    model.eval()
    with torch.no_grad():
        _, x_hat = model(x.float())
    return float(((x_hat.double() - x) ** 2).mean())


def test_sweep_shares_stages_writes_results_and_scores_holdout(setup, spy):
    root, path = setup
    comp = load_competition(stages.build_competition(base_config(root)["competition"], 0))
    rng = np.random.default_rng(0)
    fresh = rng.integers(0, 256, (30, 8, 8, 1), dtype=np.uint8)
    mixed = np.concatenate([comp.images.images[:20], fresh])  # 20 competition images must be dropped
    np.save(root / "held.npy", mixed)

    res = cli(path, "--set", "cluster.n_clusters=8,10", "-o", root / "out", "--runs-dir", root / "runs",
              "--private", "--holdout-source", f"npy:x={root / 'held.npy'}")
    assert res.exit_code == 0, res.output
    assert [c["overrides"] for c in spy] == [["cluster.n_clusters=8"], ["cluster.n_clusters=10"]]
    first, second = spy
    assert "pretrain" in first["ran"]
    assert second["ran"] == ["cluster", "validate", "submit"]  # same pretrain/extract/reduce config: reused, not rerun
    run1, run2 = root / "runs" / first["name"], root / "runs" / second["name"]
    stages1 = json.loads((run1 / "stages.json").read_text())
    stages2 = json.loads((run2 / "stages.json").read_text())
    assert os.path.samefile(stages1["pretrain"], stages2["pretrain"])
    assert yaml.safe_load((run2 / "config.yaml").read_text())["cluster"]["n_clusters"] == 10

    df = pd.read_csv(root / "out" / "results.csv")
    assert list(df.columns) == ["cluster.n_clusters", "public", "private", "nmi", "ari", "params", "train_loss",
                                "test_loss", "seconds", "run_dir"]
    assert df["cluster.n_clusters"].tolist() == [8, 10]
    assert df["run_dir"].tolist() == [str(run1), str(run2)]
    scores = json.loads((run2 / stages2["submit"].split("/")[-1] / "scores.json").read_text())
    assert df["public"].iloc[1] == pytest.approx(scores["public"]) and df["ari"].iloc[1] == pytest.approx(scores["ari"])
    model = load_model(stages1["pretrain"])
    assert (df["params"] == sum(p.numel() for p in model.parameters())).all()
    # train_loss on the images pretrain saw; test_loss on the 30 fresh images only (the 20 others were dropped)
    assert df["train_loss"].iloc[0] == pytest.approx(pixel_mse(model, comp.images.images), rel=1e-5)
    assert df["test_loss"].iloc[0] == pytest.approx(pixel_mse(model, fresh), rel=1e-5)
    assert df["test_loss"].iloc[0] != pytest.approx(pixel_mse(model, mixed), rel=1e-5)
    record = json.loads((root / "out" / "cells" / f"{first['name']}.json").read_text())
    assert record["n_holdout"] == 30
    md = (root / "out" / "results.md").read_text()
    assert md.count(f"| {run1} |") == 1 and "| cluster.n_clusters | public | private |" in md
    for metric in ("public", "private", "nmi", "ari", "train_loss", "test_loss"):
        assert (root / "out" / f"{metric}_vs_cluster.n_clusters.png").stat().st_size > 1000

    # run again, deleting nothing: every cell is read back and no stage runs
    marks = {p: p.stat().st_mtime_ns for p in (root / "runs").rglob("stage.json")}
    spy.clear()
    again = sweep.run_sweep(path, ["cluster.n_clusters=8,10"], out=root / "out", runs_dir=root / "runs",
                            holdout=f"npy:x={root / 'held.npy'}")
    assert [c["ran"] for c in spy] == [[], []] and again["ran"] == {first["name"]: [], second["name"]: []}
    assert {p: p.stat().st_mtime_ns for p in (root / "runs").rglob("stage.json")} == marks
    assert "private" not in again["rows"][0]  # hidden without --private
    assert [r["public"] for r in again["rows"]] == pytest.approx(df["public"].tolist())


def test_crashed_sweep_resumes_with_the_missing_cells_only(setup, monkeypatch):
    root, path = setup
    real, calls = sweep.run_pipeline, []

    def crash_on_second(config, **kw):
        calls.append(config["name"])
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real(config, **kw)

    monkeypatch.setattr(sweep, "run_pipeline", crash_on_second)
    sets = ["cluster.n_clusters=8,10"]
    with pytest.raises(RuntimeError, match="killed"):
        sweep.run_sweep(path, sets, out=root / "out", runs_dir=root / "runs")
    done = sorted(p.stem for p in (root / "out" / "cells").glob("*.json"))
    assert done == [calls[0]] and not (root / "out" / "results.csv").exists()

    ran = {}

    def record(config, **kw):
        result = real(config, **kw)
        ran[config["name"]] = result["ran"]
        return result

    monkeypatch.setattr(sweep, "run_pipeline", record)
    result = sweep.run_sweep(path, sets, out=root / "out", runs_dir=root / "runs")
    assert ran == {calls[0]: [],  # the completed first cell comes back from the stage cache
                   calls[1]: ["cluster", "validate", "submit"]}  # and the second reuses its pretrain
    assert [r["cluster.n_clusters"] for r in result["rows"]] == [8, 10]
    assert all(r["public"] is not None and r["params"] > 0 for r in result["rows"])


# ---------------------------------------------------------------- no stale cells


ALL_STAGES = ["pretrain", "extract", "reduce", "cluster", "validate", "submit"]


def test_a_code_fix_reruns_finished_cells(setup, spy, kit_copy):
    root, path = setup
    _, edit = kit_copy
    sets = ["cluster.n_clusters=8,10"]
    sweep.run_sweep(path, sets, out=root / "out", runs_dir=root / "runs")
    spy.clear()
    edit("cluster/kmeans.py")
    again = sweep.run_sweep(path, sets, out=root / "out", runs_dir=root / "runs")
    assert [c["ran"] for c in spy] == [ALL_STAGES, ["cluster", "validate", "submit"]]  # the second cell reuses the new pretrain
    assert list(again["ran"].values()) == [c["ran"] for c in spy]


def test_a_changed_competition_reruns_finished_cells(tmp_path, monkeypatch, spy):
    import shutil

    monkeypatch.chdir(tmp_path)
    make = base_config(tmp_path)["competition"]
    cfg = {**base_config(tmp_path), "competition": {"dir": make["dir"]}}  # uses whatever the folder holds
    stages.build_competition(make, 0)
    sets = ["cluster.n_clusters=8"]
    sweep.run_sweep(cfg, sets, out=tmp_path / "out", runs_dir=tmp_path / "runs")
    shutil.rmtree(make["dir"])
    stages.build_competition(make, 1)  # re-imported / rebuilt: same config, other public/private split
    spy.clear()
    again = sweep.run_sweep(cfg, sets, out=tmp_path / "out", runs_dir=tmp_path / "runs")
    assert [c["ran"] for c in spy] == [ALL_STAGES]
    record = json.loads(next((tmp_path / "out" / "cells").glob("*.json")).read_text())
    run = tmp_path / "runs" / spy[0]["name"]
    scores = json.loads((run / json.loads((run / "stages.json").read_text())["submit"].split("/")[-1] /
                         "scores.json").read_text())
    assert record["scores"] == scores and again["rows"][0]["public"] == pytest.approx(scores["public"])


def test_a_corrupt_cell_record_is_rewritten_not_fatal(setup, spy):
    root, path = setup
    sets = ["cluster.n_clusters=8,10"]
    first = sweep.run_sweep(path, sets, out=root / "out", runs_dir=root / "runs")
    records = sorted((root / "out" / "cells").glob("*.json"))
    records[0].write_text('{"cell": "dg-clus')  # killed mid-write by something other than kit
    records[1].write_bytes(b"\x00garbage")
    spy.clear()
    again = sweep.run_sweep(path, sets, out=root / "out", runs_dir=root / "runs")
    assert len(spy) == 2 and all(c["ran"] == [] for c in spy)  # both cells asked the pipeline, every stage cached
    assert [r["public"] for r in again["rows"]] == [r["public"] for r in first["rows"]]
    assert all(json.loads(r.read_text())["cell"] == r.stem for r in records)


def test_short_s_still_works_for_one_release_with_a_deprecation_note(setup, no_training, capsys):
    """-s is --step in kit reduce; in kit sweep it is a deprecated spelling of --set (one line on stderr)."""
    root, path = setup
    for args in (["-s", "pretrain.epochz=1,2"], ["--set", "pretrain.epochz=1,2"]):
        with pytest.raises(SystemExit) as exit_info:
            kit_main(["sweep", str(path), *args, "-o", str(root / "out")])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and "did you mean 'epochs'" in err  # -s still reaches the grid
        note = [line for line in err.splitlines() if "deprecated" in line]
        assert note == (["kit sweep: -s is deprecated and will be removed; write --set (-s is --step in `kit reduce`)"]
                        if args[0] == "-s" else [])
    with pytest.raises(SystemExit) as exit_info:
        kit_main(["sweep", str(path), "-o", str(root / "out")])
    assert exit_info.value.code == 2 and "needs at least one --set" in capsys.readouterr().err
    assert "-s," not in cli("-h").output and "--set" in cli("-h").output  # -s is no longer offered
