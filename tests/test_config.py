import pytest

from kit.config import load_config, validate_config
from kit.errors import ConfigError

BASE = {
    "name": "x",
    "competition": {"make": {"source": {"kind": "digits"}, "type": "label"}},
    "cluster": {"method": "kmeans", "n_clusters": 10},
}


def test_defaults_are_filled():
    cfg = validate_config(BASE)
    assert cfg["seed"] == 0
    assert cfg["competition"]["dir"] == "competitions/x"
    assert cfg["extract"] == {"model": "raw", "kind": "latent"}
    assert cfg["submit"]["copy_to"] == "submissions/x-{id}.csv"


@pytest.mark.parametrize(
    "patch, message",
    [
        ({"clustr": {}}, "did you mean 'cluster'"),
        ({"name": ""}, "'name' is required"),
        ({"seed": "one"}, "seed must be an integer"),
        ({"cluster": {"n_clusters": 3}}, "'cluster' section is required"),
        ({"competition": {"make": {"source": {}}}}, "must be a mapping with a 'kind'"),
        ({"competition": {"make": {"source": {"kind": "digits"}, "type": "triples"}}}, "one of label, binary, pairs, got 'triples'$"),
        ({"competition": {"make": {"source": {"kind": "digits"}, "type": "pair"}}}, "did you mean 'pairs'"),
        ({"reduce": [{"n_components": 2}]}, "each with a 'method'"),
        ({"extract": {"model": "pretrain"}}, "no 'pretrain' section"),
        ({"pretrain": {"epochz": 3}}, "did you mean 'epochs'"),
        ({"pretrain": {"epochs": "three"}}, "pretrain.epochs must be int"),
        ({"finetune": {"epochs": 3}}, "needs a 'pretrain' section"),
        ({"refine": {"epochs": 3}}, "needs a 'pretrain' section .* or refine.model"),
        ({"refine": {"model": "smal_cnn"}}, "did you mean 'small_cnn'"),
        ({"refine": {"model": "small_cnn", "model_kwargs": {"widht": 8}}}, r"refine.model_kwargs \(model small_cnn\): unknown key 'widht'; did you mean 'width'"),
        ({"refine": {"model": "small_cnn", "modle_kwargs": {}}}, "did you mean 'model_kwargs'"),
        ({"refine": {"model": "small_cnn"}, "pretrain": {"model": "mlp_ae"}}, "refine.model trains a fresh network"),
    ],
)
def test_bad_configs_name_the_key(patch, message):
    with pytest.raises(ConfigError, match=message):
        validate_config({**BASE, **patch})


def test_load_config_reports_file_and_yaml_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such config"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="bad.yaml: invalid YAML"):
        load_config(bad)


def test_every_shipped_config_validates():
    from kit.paths import REPO_ROOT

    configs = sorted(p for p in (REPO_ROOT / "configs").rglob("*.yaml") if "experiments" not in p.parts)
    assert configs, "configs/ should hold at least the default config"
    for path in configs:
        load_config(path)
    from kit.config import validate_config
    from kit.experiments import load_experiment

    for path in sorted((REPO_ROOT / "configs" / "experiments").glob("*.yaml")):  # experiment files: their base
        validate_config(load_experiment(path).base)


import pytest as _pytest  # noqa: E402


@_pytest.mark.parametrize("patch,message", [
    ({"pretrain": {"epochs": -3}}, "pretrain.epochs must be >= 1"),
    ({"pretrain": {"epochs": 0}}, "pretrain.epochs must be >= 1"),
    ({"pretrain": {"batch_size": 0}}, "pretrain.batch_size must be >= 1"),
    ({"pretrain": {"lr": -1e-3}}, "pretrain.lr must be > 0"),
    ({"pretrain": {"model_kwargs": {"latent_dim": 0}}}, "latent_dim must be an integer >= 1"),
    ({"name": "../escape"}, "plain folder name"),
    ({"name": "/tmp/abs"}, "plain folder name"),
    ({"name": ".."}, "plain folder name"),
    ({"seed": True}, "seed must be an integer"),
    ({"seed": 1.5}, "seed must be an integer"),
    ({"submit": {"same_fraction": 1.0}}, "submit.same_fraction must be a number between 0 and 1"),
    ({"submit": {"same_fracton": 0.5}}, "did you mean 'same_fraction'"),
])
def test_ranges_and_names_validated_at_load(patch, message):
    from kit.config import validate_config
    from kit.errors import ConfigError

    cfg = {"name": "ok", "competition": {"dir": "competitions/x"}, "pretrain": {"model": "mlp_ae", "epochs": 2},
           "cluster": {"method": "kmeans"}}
    for key, value in patch.items():
        cfg[key] = {**cfg[key], **value} if isinstance(value, dict) and isinstance(cfg.get(key), dict) else value
    with _pytest.raises(ConfigError, match=message):
        validate_config(cfg)


# --- one table of option ranges, keyed by the stage functions' own keyword names ------------------------------

import inspect  # noqa: E402
import json  # noqa: E402

import numpy as np  # noqa: E402

from kit.config import _keywords, _stage_function, schema  # noqa: E402
from kit.train.options import OPTIONS, check_ranges  # noqa: E402

SCRATCH = {"model": "small_cnn", "neighbor_features": "dsift", "freeze_encoder": False}


def _cfg(**sections):
    """BASE plus sections; a section given as None is dropped."""
    cfg = {**BASE, **sections}
    return {k: v for k, v in cfg.items() if v is not None}


def test_every_table_row_is_a_real_keyword_and_every_keyword_has_a_row():
    """A renamed key (refine's 'threshold' for fixmatch_threshold) would be checked nowhere: the table and the
    signatures must name the same options."""
    keywords = {s: set(_keywords(_stage_function(s))) | ({"model"} if s == "refine" else set())
                for s in ("pretrain", "finetune", "refine")}
    for key in OPTIONS:
        if isinstance(key, tuple):
            stage, name = key
            assert stage == "cluster" or (stage, name) == ("validate", "holdout") or name in keywords[stage], key
        elif not key.startswith("model_kwargs."):
            assert any(key in names for names in keywords.values()), f"{key} is no stage keyword"
    undocumented = [r.key for r in schema() if "(undocumented)" in r.doc]
    assert not undocumented, f"add rows to kit.train.options.OPTIONS for {undocumented}"
    for key, row in OPTIONS.items():
        if row.choices is not None:
            assert row.allowed(), key  # a "module:NAME" reference resolves


@pytest.mark.parametrize("section, key, value, message", [
    ("refine", "fixmatch_threshold", 1.5, r"refine\.fixmatch_threshold must be in \[0, 1\], got 1.5"),
    ("refine", "head_hidden", -3, r"refine\.head_hidden must be >= 0, got -3"),
    ("refine", "confidence", float("nan"), r"refine\.confidence must be a finite number, got nan"),
    ("pretrain", "lr", float("nan"), r"pretrain\.lr must be a finite number, got nan"),
    ("pretrain", "lr", float("inf"), r"pretrain\.lr must be a finite number, got inf"),
    ("pretrain", "rotation_beta", float("inf"), r"pretrain\.rotation_beta must be a finite number"),
    ("finetune", "head_hidden", -1, r"finetune\.head_hidden must be >= 0"),
    ("finetune", "val_fraction", 1.5, r"finetune\.val_fraction must be in \[0, 1\]"),
    ("pretrain", "seed", -1, r"pretrain\.seed must be an integer >= 0"),
])
def test_check_ranges_takes_the_stage_keyword_names(section, key, value, message):
    with pytest.raises(ConfigError, match=message):
        check_ranges(section, {key: value})


@pytest.mark.parametrize("patch, message", [
    ({"refine": {**SCRATCH, "fixmatch_threshold": 1.5}}, r"refine\.fixmatch_threshold must be in \[0, 1\]"),
    ({"refine": {**SCRATCH, "head_hidden": -3}}, r"refine\.head_hidden must be >= 0"),
    ({"pretrain": {"model": "mlp_ae", "lr": float("nan")}}, r"pretrain\.lr must be a finite number, got nan"),
    ({"pretrain": {"model": "mlp_ae", "lr": float("inf")}}, r"pretrain\.lr must be a finite number, got inf"),
    ({"pretrain": {"model": "mlp_ae", "model_kwargs": {"latent_dim": 10**9}}},
     r"pretrain\.model_kwargs\.latent_dim must be an integer >= 1 and <= 65536, got 1000000000"),
    ({"pretrain": {"model": "mlp_ae", "model_kwargs": {"latent_dim": 2.5}}}, r"latent_dim must be an integer"),
    ({"seed": -1}, r"^seed must be an integer >= 0"),
    ({"seed": 2**40}, r"^seed must be an integer >= 0 and <= 4294967295"),
    ({"competition": {"make": {"source": {"kind": "digits"}, "seed": -2}}}, r"competition\.make\.seed must be"),
    ({"pretrain": {"model": "conv_a4"}}, r"pretrain\.model: unknown model 'conv_a4'; did you mean 'conv_ae4'"),
    ({"pretrain": {"model": "mlp_ae", "model_kwargs": {"latnet_dim": 8}}},
     r"pretrain\.model_kwargs \(model mlp_ae\): unknown key 'latnet_dim'; did you mean 'latent_dim'"),
    ({"pretrain": {"model_kwargs": [8]}}, r"pretrain\.model_kwargs must be a mapping"),
    ({"pretrain": {"objective": "rotation"}}, r"pretrain\.objective must be one of reconstruction, denoising, simclr"),
    ({"pretrain": {"augment": "havy"}}, r"pretrain\.augment must be one of none, light, heavy, strong; got 'havy'"),
    ({"pretrain": {"augment_backend": "cv2"}}, r"pretrain\.augment_backend must be one of"),
    ({"refine": {**SCRATCH, "neighbor_features": "sift"}}, r"refine\.neighbor_features must be one of model, "),
    ({"refine": {**SCRATCH, "strong_augment": "wild"}}, r"refine\.strong_augment must be one of"),
    ({"refine": {**SCRATCH, "mode": "magic"}}, r"refine\.mode must be one of auto, scan, semi"),
    ({"pretrain": {"epochs": None}}, r"pretrain\.epochs is null; delete the key \(~pretrain\.epochs in an override\)"),
    ({"cluster": {"method": "kmeans", "mapping": "hungarain"}}, r"cluster\.mapping must be one of majority, hungarian"),
    ({"competition": {"make": {"source": {"kind": "digits"}}, "import": {"typ": "label"}}},
     r"competition\.import: unknown key 'typ'; did you mean 'type'"),
    ({"validate": {"holdot": 0.2}}, r"validate: unknown key 'holdot'; did you mean 'holdout'"),
    ({"validate": {"holdout": 1.0}}, r"validate\.holdout must be in \[0, 0\.9\]"),
    ({"validate": {"holdout": 0.2}}, r"validate\.holdout keeps labeled images out of training, but "),
])
def test_late_mistakes_fail_at_load_under_the_users_key(patch, message):
    with pytest.raises(ConfigError, match=message) as e:
        validate_config(_cfg(**patch))
    assert "\n" not in str(e.value)


def test_a_config_may_name_every_key_the_schema_lists():
    """The schema is the validator's: each stage key it lists, set to the default it shows, validates."""
    for section in ("pretrain", "finetune"):
        fn = _stage_function(section)
        options = {k: v for k, v in _keywords(fn).items() if v is not None}
        assert {r.key for r in schema(section)} >= {f"{section}.{k}" for k in options}
        validate_config(_cfg(**{"pretrain": {"model": "mlp_ae"}, section: options}))
    shown = {r.key: r.default for r in schema("refine")}
    assert shown["refine.fixmatch_threshold"] == "0.95" and shown["refine.head_hidden"] == "256"
    assert shown["refine.neighbor_features"] == str(inspect.signature(_stage_function("refine"))
                                                     .parameters["neighbor_features"].default)


# --- a fresh refine network --------------------------------------------------------------------------------------

def test_a_fresh_refine_network_needs_descriptor_neighbours_and_training():
    with pytest.raises(ConfigError) as e:
        validate_config(_cfg(refine={"model": "small_cnn"}))
    text = str(e.value)
    assert "refine.freeze_encoder: false" in text and "refine.neighbor_features: dsift or pixels" in text
    with pytest.raises(ConfigError) as e:
        validate_config(_cfg(refine={"model": "small_cnn", "freeze_encoder": False}))
    assert "refine.neighbor_features" in str(e.value) and "freeze_encoder" not in str(e.value)
    with pytest.raises(ConfigError, match=r"refine\.freeze_encoder: false") as e:
        validate_config(_cfg(refine={"model": "small_cnn", "neighbor_features": "pixels"}))
    assert "neighbor_features" not in str(e.value)
    validate_config(_cfg(refine=SCRATCH))
    # with labels (semi: no neighbours are mined) only the frozen encoder is wrong
    labeled = {"make": {"source": {"kind": "digits"}, "labels_per_class": 2}}
    validate_config(_cfg(competition=labeled, refine={"model": "small_cnn", "freeze_encoder": False}))


# --- what the competition holds, known at load ------------------------------------------------------------------

def test_semi_needs_labels_known_from_the_make_spec():
    with pytest.raises(ConfigError, match=r"refine\.mode is semi, which needs labeled images, but "
                                          r"competition\.make\.labels_per_class is 0"):
        validate_config(_cfg(refine={**SCRATCH, "mode": "semi"}))
    labeled = {"make": {"source": {"kind": "digits"}, "labels_per_class": 2}}
    validate_config(_cfg(competition=labeled, refine={**SCRATCH, "mode": "semi"}))


@pytest.mark.parametrize("patch, message", [
    ({"reduce": [{"method": "pca", "n_components": 101}]}, r"reduce\.0\.n_components=101 is more than the number of "
                                                            r"images, 100 \(competition\.make\.n_images is 100\)"),
    ({"cluster": {"method": "kmeans", "n_clusters": 101}}, r"cluster\.n_clusters=101 is more than"),
    ({"cluster": {"method": "scan", "k": 100}}, r"cluster\.k=100 must be smaller than the number of images, 100"),
    ({"cluster": {"method": "kmeans", "n_clusters": 10, "smooth_k": 100}},
     r"cluster\.smooth_k=100 must be smaller than the number of images, 100"),
    ({"refine": {**SCRATCH, "k": 100}}, r"refine\.k=100 must be smaller than the number of images, 100"),
    ({"refine": {**SCRATCH, "n_clusters": 101}}, r"refine\.n_clusters=101 is more than"),
    ({"refine": {**SCRATCH, "neighbor_reduce": [{"method": "pca", "n_components": 500}]}},
     r"refine\.neighbor_reduce\.0\.n_components=500"),
])
def test_counts_above_the_number_of_images_fail_at_load(patch, message):
    comp = {"make": {"source": {"kind": "digits", "limit": 300}, "n_images": 100}}
    with pytest.raises(ConfigError, match=message):
        validate_config(_cfg(competition=comp, **patch))
    ok = {**patch}
    validate_config(_cfg(competition={"make": {"source": {"kind": "digits"}}}, **ok))  # N unknown: the stage checks


def test_the_smallest_bound_is_used_and_the_count_itself_passes():
    comp = {"make": {"source": {"kind": "digits", "limit": 40}, "n_images": 100}}
    with pytest.raises(ConfigError, match=r"\(competition\.make\.source\.limit is 40\)"):
        validate_config(_cfg(competition=comp, cluster={"method": "kmeans", "n_clusters": 41}))
    validate_config(_cfg(competition=comp, cluster={"method": "kmeans", "n_clusters": 40},
                         reduce=[{"method": "pca", "n_components": 40}]))


def _folder(tmp_path, n_images=50, labeled=False, make=None):
    comp = tmp_path / "comp"
    comp.mkdir()
    meta = {"type": "label", "metric": "accuracy", "n_classes": 10, "n_images": n_images}
    if make is not None:
        meta["make"] = make
    (comp / "competition.json").write_text(json.dumps(meta))
    if labeled:
        (comp / "labeled.csv").write_text("id,label\nimg_00000,3\n")
    return comp


def test_an_existing_folder_gives_its_count_and_labels(tmp_path):
    comp = _folder(tmp_path, n_images=50)
    section = {"dir": str(comp)}
    with pytest.raises(ConfigError, match=rf"refine\.k=50 must be smaller than the number of images, 50 "
                                          rf"\({comp}/competition\.json\)"):
        validate_config(_cfg(competition=section, refine={**SCRATCH, "k": 50}))
    with pytest.raises(ConfigError, match=rf"refine\.mode is semi, .* but {comp} has no labeled\.csv"):
        validate_config(_cfg(competition=section, refine={**SCRATCH, "mode": "semi"}))
    (comp / "labeled.csv").write_text("id,label\nimg_00000,3\n")
    validate_config(_cfg(competition=section, refine={**SCRATCH, "mode": "semi", "k": 10}))


def test_a_folder_from_another_make_spec_says_nothing_and_images_npz_counts(tmp_path):
    """The run refuses a folder built from another spec, so the spec's bound applies; without n_images in
    competition.json the ids in images.npz are counted."""
    comp = _folder(tmp_path, n_images=50, make={"source": {"kind": "digits"}, "n_images": 50, "seed": 0})
    section = {"dir": str(comp), "make": {"source": {"kind": "digits"}, "n_images": 500}}
    validate_config(_cfg(competition=section, cluster={"method": "kmeans", "n_clusters": 60}))  # 60 <= 500
    meta = json.loads((comp / "competition.json").read_text())
    del meta["n_images"], meta["make"]
    (comp / "competition.json").write_text(json.dumps(meta))
    np.savez(comp / "images.npz", ids=np.array([f"i{n}" for n in range(7)]), images=np.zeros((7, 2, 2, 1), np.uint8))
    with pytest.raises(ConfigError, match=r"cluster\.n_clusters=8 is more than the number of images, 7"):
        validate_config(_cfg(competition={"dir": str(comp)}, cluster={"method": "kmeans", "n_clusters": 8}))


# --- files: one line for every way a file can be unreadable -------------------------------------------------------

@pytest.mark.parametrize("content, message", [
    (b"name: x\ncompetition:\n  dir: a: b\n", "invalid YAML at line 3, column 9: mapping values are not allowed here"),
    (b"name: [unclosed\n", "invalid YAML at line 2, column 1: expected ',' or ']'"),
    (b"a:\n\tb: 1\n", "invalid YAML at line 2, column 1: found character '\\t' that cannot start any token"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a UTF-8 text file (byte 0x89 at offset 0)"),
    (b"name: caf\xe9\n", "not a UTF-8 text file (byte 0xe9 at offset 9)"),
    (b"name: x\x00y\n", "not a YAML text file (control character #x0000 at offset 7)"),
])
def test_unreadable_files_are_one_line(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value) == f"{path}: {message}" or str(e.value).startswith(f"{path}: {message}")
    assert "\n" not in str(e.value)


def test_a_folder_and_a_bom_are_handled(tmp_path):
    with pytest.raises(ConfigError, match="is a folder, not a config file"):
        load_config(tmp_path)
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(BASE).encode())
    assert load_config(path)["name"] == "x"


# --- cluster.mapping reaches kit run's cluster stage ---------------------------------------------------------------

def test_cluster_mapping_is_kept_out_of_the_clusterer_spec():
    from kit.config import clusterer_spec, label_mapping

    cfg = validate_config(_cfg(cluster={"method": "kmeans", "n_clusters": 10, "mapping": "hungarian"}))
    assert cfg["cluster"]["mapping"] == "hungarian"  # in the stage's config, so its hash
    assert clusterer_spec(cfg["cluster"]) == {"method": "kmeans", "n_clusters": 10}
    assert label_mapping(cfg["cluster"]) == "hungarian" and label_mapping({"method": "kmeans"}) == "majority"


def test_kit_run_passes_cluster_mapping_to_the_cluster_stage(tmp_path, monkeypatch):
    from kit.pipeline import run_pipeline, stages

    calls = []
    real = stages.cluster_stage

    def spy(comp, path, spec, seed, out, **kwargs):
        calls.append((dict(spec), kwargs.get("mapping")))
        return real(comp, path, spec, seed, out, **kwargs)

    monkeypatch.setattr(stages, "cluster_stage", spy)
    cfg = {"name": "m", "competition": {"dir": str(tmp_path / "comp"),
                                        "make": {"source": {"kind": "digits"}, "labels_per_class": 3}},
           "reduce": [{"method": "pca", "n_components": 5}],
           "cluster": {"method": "kmeans", "n_clusters": 10, "n_init": 1, "mapping": "hungarian"},
           "submit": {"leaderboard": False, "copy_to": None}}
    first = run_pipeline(cfg, runs_dir=tmp_path / "runs")
    second = run_pipeline({**cfg, "cluster": {k: v for k, v in cfg["cluster"].items() if k != "mapping"}},
                          runs_dir=tmp_path / "runs")
    assert calls == [({"method": "kmeans", "n_clusters": 10, "n_init": 1}, "hungarian"),
                     ({"method": "kmeans", "n_clusters": 10, "n_init": 1}, "majority")]
    assert first["stages"]["cluster"] != second["stages"]["cluster"]  # the mapping is part of the stage's hash


# --- the stage functions check the same names ---------------------------------------------------------------------

class _Stop(Exception):
    pass


def _stage_call(section, tmp_path):
    images = np.zeros((4, 8, 8, 1), np.uint8)
    if section == "pretrain":
        return lambda fn: fn(images, tmp_path / "out")
    if section == "finetune":
        return lambda fn: fn(tmp_path / "model", images, np.zeros(4, np.int64), tmp_path / "out")
    return lambda fn: fn("small_cnn", images, tmp_path / "out")


@pytest.mark.parametrize("section", ["pretrain", "finetune", "refine"])
def test_stage_functions_check_their_own_keyword_names(section, tmp_path, monkeypatch):
    """What a stage function hands check_ranges must be named as its keywords, or the message names a key
    the user cannot set (refine.threshold) and the table's bound for the real key is skipped."""
    import importlib

    module = importlib.import_module({"pretrain": "kit.train.pretrain", "finetune": "kit.train.finetune",
                                      "refine": "kit.refine.train"}[section])
    seen = {}

    def record(where, options):
        seen.update(options)
        raise _Stop

    monkeypatch.setattr(module, "check_ranges", record)
    with pytest.raises(_Stop):
        _stage_call(section, tmp_path)(getattr(module, section))
    keywords = set(inspect.signature(getattr(module, section)).parameters)
    assert seen and set(seen) <= keywords, f"not keyword names of {section}: {set(seen) - keywords}"


# --- renamed keys: finetune.hidden is finetune.head_hidden (refine's name), still read for one release ----------

FINETUNE = {"pretrain": {"model": "mlp_ae"}}


@pytest.fixture
def fresh_warnings(monkeypatch):
    """The deprecation line is printed once a process: each test starts as a new process would."""
    import kit.train.options

    monkeypatch.setattr(kit.train.options, "_WARNED", set())


def test_finetune_hidden_is_read_as_head_hidden_with_one_line(fresh_warnings, capsys):
    old = {"finetune": {"epochs": 2, "hidden": 16, "lr": 0.01}}
    cfg = validate_config(_cfg(**FINETUNE, **old))
    assert list(cfg["finetune"].items()) == [("epochs", 2), ("head_hidden", 16), ("lr", 0.01)]  # in its place
    assert old["finetune"] == {"epochs": 2, "hidden": 16, "lr": 0.01}  # the caller's config is not changed
    assert capsys.readouterr().err == "finetune.hidden is deprecated and will be removed; write finetune.head_hidden\n"
    # the same stage options as the new name (so the same stage hash), and one line a process, not one a load
    assert validate_config(_cfg(**FINETUNE, finetune={"epochs": 2, "head_hidden": 16, "lr": 0.01})) == cfg
    assert validate_config(_cfg(**FINETUNE, **old)) == cfg
    assert capsys.readouterr().err == ""


def test_finetune_head_hidden_prints_nothing(fresh_warnings, capsys):
    assert validate_config(_cfg(**FINETUNE, finetune={"head_hidden": 8}))["finetune"] == {"head_hidden": 8}
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("section, message", [
    ({"hidden": 16, "head_hidden": 8}, r"^finetune\.hidden and finetune\.head_hidden are both given"),
    ({"hidden": -1}, r"^finetune\.head_hidden must be >= 0, got -1"),
])
def test_finetune_hidden_mistakes(fresh_warnings, section, message):
    with pytest.raises(ConfigError, match=message):
        validate_config(_cfg(**FINETUNE, finetune=section))


def test_refine_hidden_is_no_alias(fresh_warnings):
    with pytest.raises(ConfigError, match=r"refine: unknown key 'hidden'; did you mean 'head_hidden'"):
        validate_config(_cfg(refine={**SCRATCH, "hidden": 8}))


def test_smooth_k_above_the_neighbours_refine_mines_fails_at_load():
    """In a SCAN run cluster.smooth_k votes over refine's neighbours file, which holds refine.k per image; before,
    this failed at the cluster stage, after training."""
    cfg = _cfg(refine={**SCRATCH, "k": 5}, cluster={"method": "kmeans", "n_clusters": 10, "smooth_k": 6})
    with pytest.raises(ConfigError, match=r"cluster\.smooth_k=6 votes over the neighbours refine mines, refine\.k=5"):
        validate_config(cfg)
    validate_config({**cfg, "cluster": {"method": "kmeans", "n_clusters": 10, "smooth_k": 5}})
    labeled = {"make": {"source": {"kind": "digits"}, "labels_per_class": 2}}  # semi: no neighbours mined, no vote
    validate_config(_cfg(competition=labeled, refine={**SCRATCH, "model": "small_cnn", "neighbor_features": "model",
                                                       "k": 5}, cluster={"method": "kmeans", "n_clusters": 10,
                                                                         "smooth_k": 6}))
