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
    assert cfg["submit"]["copy_to"] == "submissions/x.csv"


@pytest.mark.parametrize(
    "patch, message",
    [
        ({"clustr": {}}, "did you mean 'cluster'"),
        ({"name": ""}, "'name' is required"),
        ({"seed": "one"}, "seed must be an integer"),
        ({"cluster": {"n_clusters": 3}}, "'cluster' section is required"),
        ({"competition": {"make": {"source": {}}}}, "must be a mapping with a 'kind'"),
        ({"competition": {"make": {"source": {"kind": "digits"}, "type": "triples"}}}, "label, binary or pairs"),
        ({"reduce": [{"n_components": 2}]}, "each with a 'method'"),
        ({"extract": {"model": "pretrain"}}, "no 'pretrain' section"),
        ({"pretrain": {"epochz": 3}}, "did you mean 'epochs'"),
        ({"pretrain": {"epochs": "three"}}, "pretrain.epochs must be int"),
        ({"finetune": {"epochs": 3}}, "needs a 'pretrain' section"),
        ({"refine": {"epochs": 3}}, "needs a 'pretrain' section .* or refine.model"),
        ({"refine": {"model": "smal_cnn"}}, "did you mean 'small_cnn'"),
        ({"refine": {"model": "small_cnn", "model_kwargs": {"widht": 8}}}, "model small_cnn: .*widht"),
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
