"""`kit reduce` and `kit cluster` round trip through their files, through the same stage functions as `kit run`."""
import sys
import types

import numpy as np
import pytest
import yaml
from sklearn.datasets import load_digits
from typer.testing import CliRunner

import kit.cli.cluster  # noqa: F401  (registers the command)
import kit.cli.reduce  # noqa: F401
from kit.cli.app import app
from kit.data.imageset import ImageSet
from kit.errors import ConfigError, DataError
from kit.features.files import load_clusters, load_features, save_features
from kit.metrics import cluster_accuracy

runner = CliRunner()


@pytest.fixture
def digits(tmp_path):
    d = load_digits()
    X, y = d.data[:400], d.target[:400]
    ids = np.array([f"img_{i:05d}" for i in range(len(X))])
    path = save_features(tmp_path / "features.npz", ids, X)
    return path, ids, y


def invoke(args):
    result = runner.invoke(app, [str(a) for a in args], terminal_width=200)
    return result


def test_reduce_then_cluster_round_trip(tmp_path, digits):
    feats, ids, y = digits
    emb = tmp_path / "emb.npz"
    r = invoke(["reduce", feats, "--step", "standardize", "--step", "pca:n_components=10,whiten=false",
                "--step", "tsne:n_components=2,perplexity=20,n_iter=100,early_exaggeration_iter=50",
                "--out", emb, "--seed", "1"])
    assert r.exit_code == 0, r.output
    eids, Z = load_features(emb)
    np.testing.assert_array_equal(eids, ids)
    assert Z.shape == (400, 2)

    out = tmp_path / "clusters.npz"
    r = invoke(["cluster", emb, "--method", "ekmeans", "--n-clusters", "10", "-O", "n_init=3", "--out", out])
    assert r.exit_code == 0, r.output
    c = load_clusters(out)
    old = tmp_path / "old.npz"  # --param: the deprecated spelling of -O, the same clusters and one line saying so
    r = invoke(["cluster", emb, "--method", "ekmeans", "--n-clusters", "10", "--param", "n_init=3", "--out", old])
    assert r.exit_code == 0 and [x for x in r.output.splitlines() if "deprecated" in x] == [
        "kit cluster: --param KEY=VALUE is deprecated and will be removed; write -O/--opt KEY=VALUE (the option "
        "syntax of every kit command)"], r.output
    np.testing.assert_array_equal(load_clusters(old)["clusters"], c["clusters"])
    for flag in ("-k", "--k"):  # the cluster count's old spellings: k is a neighbour count in every config
        r = invoke(["cluster", emb, "--method", "ekmeans", flag, "10", "-O", "n_init=3", "--out", old])
        assert r.exit_code == 0 and [x for x in r.output.splitlines() if "deprecated" in x] == [
            "kit cluster: -k/--k is deprecated and will be removed; write --n-clusters (k is a neighbour count in "
            "every config (refine.k, cluster.k of scan))"], r.output
        np.testing.assert_array_equal(load_clusters(old)["clusters"], c["clusters"])
    np.testing.assert_array_equal(c["ids"], ids)
    assert "labels" not in c
    assert cluster_accuracy(y, c["clusters"]) > 0.5  # chance is about 0.12


def test_config_sections(tmp_path, digits):
    feats, ids, y = digits
    cfg = tmp_path / "run.yaml"
    cfg.write_text(yaml.safe_dump({"reduce": [{"method": "pca", "n_components": 8}],
                                   "cluster": {"method": "ensemble", "combine": "consensus", "n_clusters": 10,
                                               "members": [{"method": "kmeans"}, {"method": "gmm"}]}}))
    emb, out = tmp_path / "emb.npz", tmp_path / "c.npz"
    assert invoke(["reduce", feats, "--config", cfg, "--out", emb]).exit_code == 0
    assert load_features(emb)[1].shape == (400, 8)
    r = invoke(["cluster", emb, "--config", cfg, "--out", out])
    assert r.exit_code == 0, r.output
    assert cluster_accuracy(y, load_clusters(out)["clusters"]) > 0.6


def test_competition_labels_map_clusters(tmp_path, digits, monkeypatch):
    feats, ids, y = digits
    labeled_rows = np.arange(0, 400, 10)  # 40 labeled images
    labeled = ImageSet(ids=ids[labeled_rows], images=np.zeros((len(labeled_rows), 2, 2, 1), np.uint8),
                       labels=y[labeled_rows])
    comp = types.SimpleNamespace(labeled=labeled, n_classes=10, type="label", name="fake")
    fake = types.ModuleType("kit.competition")
    fake.load_competition = lambda d: comp
    monkeypatch.setitem(sys.modules, "kit.competition", fake)
    out = tmp_path / "c.npz"
    r = invoke(["cluster", feats, "--method", "kmeans", "--competition", tmp_path, "--out", out])
    assert r.exit_code == 0, r.output
    c = load_clusters(out)
    assert len(np.unique(c["clusters"])) == 10  # k defaulted to the competition's n_classes
    assert (c["labels"] == y).mean() > 0.7  # class indices, not arbitrary cluster ids


@pytest.mark.parametrize("args,match", [
    (["reduce", "{feats}", "--step", "pcaa", "--out", "x.npz"], "unknown method 'pcaa'; did you mean 'pca'"),
    (["reduce", "{feats}", "--step", "pca:n_components", "--out", "x.npz"], "expected key=value"),
    (["reduce", "{feats}", "--out", "x.npz"], "at least one --step"),
    (["cluster", "{feats}", "--method", "kmeans", "-O", "n_inti=3", "--out", "x.npz"], "did you mean 'n_init'"),
])
def test_bad_options_raise_config_errors(tmp_path, digits, args, match):
    feats = digits[0]
    r = invoke([a.replace("{feats}", str(feats)).replace("x.npz", str(tmp_path / "x.npz")) for a in args])
    assert isinstance(r.exception, ConfigError), r.output
    assert match in str(r.exception)
    assert not (tmp_path / "x.npz").exists()


def test_cli_and_pipeline_share_the_stage_code(tmp_path, digits):
    from kit.pipeline.stages import cluster_stage, reduce_stage

    feats, ids, y = digits
    r = invoke(["reduce", feats, "--step", "standardize", "--step", "pca:n_components=5", "-o", tmp_path / "e.npz"])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "reduce: standardize -> pca on 400 x 64" in out and "reduce: step 2/2 pca" in out
    assert "reduce: done, 400 x 5 in" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.npz", "features.npz"]  # no 2-D view beside --out
    stage = reduce_stage(feats, [{"method": "standardize"}, {"method": "pca", "n_components": 5}], 0, tmp_path / "s")
    np.testing.assert_array_equal(load_features(tmp_path / "e.npz")[1], load_features(stage)[1])
    assert (tmp_path / "s" / "embedding_2d.npz").exists()  # the pipeline keeps a view for plots

    r = invoke(["cluster", tmp_path / "e.npz", "-m", "gmm", "-O", "n_init=2", "-o", tmp_path / "c.npz"])
    assert r.exit_code == 0, r.output
    assert "cluster: gmm (k=10) on 400 x 5" in " ".join(r.output.split())  # k=10 without a competition
    stage = cluster_stage(None, tmp_path / "e.npz", {"method": "gmm", "n_init": 2}, 0, tmp_path / "s")
    np.testing.assert_array_equal(load_clusters(tmp_path / "c.npz")["clusters"], load_clusters(stage)["clusters"])


def test_step_values_are_yaml_lists_too(tmp_path, digits):
    from kit.overrides import parse_spec

    def parse_step(text):
        return parse_spec(text, "--step", "method")

    assert parse_step("pca:n_components=5,whiten=true") == {"method": "pca", "n_components": 5, "whiten": True}
    assert parse_step("x:a=[1, 2],b={c: 3},d=1e-3") == {"method": "x", "a": [1, 2], "b": {"c": 3}, "d": 0.001}


def test_labeled_image_without_an_embedding_row_is_a_data_error(tmp_path, digits, monkeypatch):
    feats, ids, y = digits
    labeled = ImageSet(ids=np.array(["img_00000", "not_there"]), images=np.zeros((2, 2, 2, 1), np.uint8),
                       labels=np.array([0, 1]))
    comp = types.SimpleNamespace(labeled=labeled, n_classes=10, type="label", name="fake")
    fake = types.ModuleType("kit.competition")
    fake.load_competition = lambda d: comp
    monkeypatch.setitem(sys.modules, "kit.competition", fake)
    r = invoke(["cluster", feats, "--competition", tmp_path, "--mapping", "hungarian", "-o", tmp_path / "c.npz"])
    assert isinstance(r.exception, DataError) and "labeled image 'not_there'" in str(r.exception)
    assert not (tmp_path / "c.npz").exists()


def _bad_features(tmp_path, kind):
    """Feature files a new user can produce with np.savez, each refused by every command that reads them."""
    rng = np.random.default_rng(0)
    ids = np.array([f"img_{i}" for i in range(40)])
    X = rng.normal(size=(40, 5)).astype(np.float32)
    arrays = {"one_d": dict(ids=ids, features=X[:, 0]),
              "three_ids": dict(ids=ids[:3], features=X),
              "repeated_ids": dict(ids=np.r_[ids[:20], ids[:20]], features=X),
              "huge": dict(ids=ids, features=X * np.float32(1e30))}[kind]
    path = tmp_path / f"{kind}.npz"
    np.savez(path, **arrays)
    return path


BAD_FILES = [("one_d", r"'features' must be a non-empty \(N, D\) array, got shape \(40,\)"),
             ("three_ids", r"3 ids for 40 feature rows"),
             ("repeated_ids", r"id 'img_0' is on 2 rows; expected each id once \(20 ids repeated\)"),
             ("huge", r"'features' holds \|x\| up to .*e\+30, above 1e\+15.*scale the features down")]
COMMANDS = {"reduce-pca": ["reduce", "--step", "pca:n_components=2"],
            "reduce-tsne": ["reduce", "--step", "tsne:perplexity=5"],
            "cluster-kmeans": ["cluster", "--method", "kmeans", "--n-clusters", "3"],
            "cluster-gmm": ["cluster", "--method", "gmm", "--n-clusters", "3"]}
# huge x t-SNE runs in a subprocess below: without the guard it would take the test session down with it
CASES = [pytest.param(kind, match, command, id=f"{kind}-{name}") for kind, match in BAD_FILES
         for name, command in COMMANDS.items() if (kind, name) != ("huge", "reduce-tsne")]


@pytest.mark.parametrize("kind,match,command", CASES)
def test_bad_feature_files_are_one_line_errors_naming_the_file(tmp_path, kind, match, command):
    import re

    path = _bad_features(tmp_path, kind)
    out = tmp_path / "out.npz"
    r = invoke([command[0], path, *command[1:], "--out", out])
    assert isinstance(r.exception, DataError), r.output
    message = str(r.exception)
    assert message.startswith(f"{path}: ") and "\n" not in message and re.search(match, message)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # nothing written, not even a temp file


def test_tsne_on_huge_features_exits_2_instead_of_crashing(tmp_path):
    """openTSNE segfaults (signal 11) on features around 1e30: the real CLI must refuse them in one line."""
    import os
    import subprocess

    path = _bad_features(tmp_path, "huge")
    out = tmp_path / "emb.npz"
    p = subprocess.run([sys.executable, "-m", "kit", "reduce", str(path), "--step", "tsne:perplexity=5",
                        "--out", str(out)], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "NO_ALBUMENTATIONS_UPDATE": "1", "COLUMNS": "400"})
    assert p.returncode == 2, p.stderr[-2000:]
    errors = [line for line in p.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(path) in errors[0] and "Traceback" not in p.stderr
    assert not out.exists()


def test_argmax_without_k_takes_one_cluster_per_logit_column(tmp_path):
    """Two-column logits (a binary competition's model) need no -k: before, the default 10 made argmax refuse."""
    logits = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    save_features(tmp_path / "logits.npz", np.array([str(i) for i in range(50)]), logits)
    result = invoke(["cluster", tmp_path / "logits.npz", "-m", "argmax", "-o", tmp_path / "c.npz"])
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(load_clusters(tmp_path / "c.npz")["clusters"], logits.argmax(1))
    bad = invoke(["cluster", tmp_path / "logits.npz", "-m", "argmax", "--n-clusters", "3", "-o", tmp_path / "d.npz"])
    assert isinstance(bad.exception, DataError) and "2 columns but n_clusters is 3" in str(bad.exception)


@pytest.mark.parametrize("command", [["reduce", "--step", "pca:n_components=2"], ["cluster", "--n-clusters", "3"]])
@pytest.mark.parametrize("seed", ["-1", str(2**32)])
def test_seed_out_of_range_is_a_usage_error(tmp_path, digits, command, seed):
    r = invoke([command[0], digits[0], *command[1:], "--seed", seed, "-o", tmp_path / "x.npz"])
    assert r.exit_code == 2 and "--seed" in r.output, r.output
    assert not (tmp_path / "x.npz").exists()


@pytest.fixture
def no_stage(monkeypatch):
    """The stage functions must not run: the command fails before any work."""
    import kit.pipeline.stages as stages

    def refuse(*a, **kw):
        raise AssertionError("a stage ran: the check must come before any work")

    monkeypatch.setattr(stages, "reduce_stage", refuse)
    monkeypatch.setattr(stages, "cluster_stage", refuse)


@pytest.mark.parametrize("args, match", [
    (["reduce", "{feats}", "-s", "pca:n_components=2,seed=-1"],
     "reduce.pca.seed must be an integer >= 0 and <= 4294967295, got -1"),
    (["cluster", "{feats}", "-O", "seed=-1"], "cluster.kmeans.seed must be an integer >= 0 and <= 4294967295, got -1"),
    (["reduce", "{feats}", "-s", "pca:n_components=65"],
     "reduce.pca.n_components=65 is larger than the data allows (64 for 400 points x 64 features)"),
    (["reduce", "{feats}", "-s", "pca:n_components=10", "-s", "pca:n_components=11"],
     "reduce.pca.n_components=11 is larger than the data allows (10 for 400 points x 10 features)"),
    (["reduce", "{feats}", "-s", "pca", "-o", "{dir}"], "--out {dir} is a folder; expected a file path"),
    (["cluster", "{feats}", "-o", "{dir}"], "--out {dir} is a folder; expected a file path"),
    (["cluster", "{feats}", "--config", "{bin}"], "--config {bin}: not a UTF-8 text file (byte 0xff at offset 6)"),
    (["reduce", "{feats}", "--config", "{syn}"], "--config {syn}: invalid YAML at line 2, column 1: expected ',' or '}'"),
    (["cluster", "{feats}", "--config", "{list}"], "'cluster' must be a mapping"),
])
def test_mistakes_fail_in_one_line_before_any_work(tmp_path, digits, no_stage, args, match):
    files = {"{feats}": str(digits[0]), "{dir}": str(tmp_path), "{bin}": str(tmp_path / "bin.yaml"),
             "{syn}": str(tmp_path / "syn.yaml"), "{list}": str(tmp_path / "list.yaml")}
    (tmp_path / "bin.yaml").write_bytes(b"name: \xff\xfe\n")
    (tmp_path / "syn.yaml").write_text("reduce: [{method: pca\n")
    (tmp_path / "list.yaml").write_text("cluster: [kmeans]\n")
    if "-o" not in args:
        args = [*args, "-o", str(tmp_path / "x.npz")]
    for key, value in files.items():
        args, match = [a.replace(key, value) for a in args], match.replace(key, value)
    r = invoke(args)
    assert isinstance(r.exception, (ConfigError, DataError)), r.output
    assert match in str(r.exception) and "\n" not in str(r.exception)
    assert "<unicode string>" not in str(r.exception)
    assert not (tmp_path / "x.npz").exists()


@pytest.mark.parametrize("epochs, rows, warned", [(2, 400, True), (2, 257, True), (100, 400, False)])
def test_scan_with_few_optimizer_steps_says_so(tmp_path, digits, epochs, rows, warned):
    """400 rows in batches of 256 make 2 steps an epoch; 257 rows make 1 (a batch of one row is never taken)."""
    feats, ids, _ = digits
    ids_, X = load_features(feats)
    small = save_features(tmp_path / "f.npz", ids_[:rows], X[:rows])
    r = invoke(["cluster", small, "-m", "scan", "-O", f"epochs={epochs}", "-o", tmp_path / "c.npz"])
    assert r.exit_code == 0, r.output
    steps = epochs * (1 if rows == 257 else 2)
    line = f"the scan heads got only {steps} optimizer steps ({rows} rows, {epochs} epochs)"
    assert (line in " ".join(r.output.split())) == warned, r.output
