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
        ({"seed": "one"}, "seed must be int"),
        ({"cluster": {"n_clusters": 3}}, "'cluster' section is required"),
        ({"competition": {"make": {"source": {}}}}, "must be a mapping with a 'kind'"),
        ({"competition": {"make": {"source": {"kind": "digits"}, "type": "triples"}}}, "label, binary or pairs"),
        ({"reduce": [{"n_components": 2}]}, "each with a 'method'"),
        ({"extract": {"model": "pretrain"}}, "no 'pretrain' section"),
        ({"pretrain": {"epochz": 3}}, "did you mean 'epochs'"),
        ({"pretrain": {"epochs": "three"}}, "pretrain.epochs must be int"),
        ({"finetune": {"epochs": 3}}, "needs a 'pretrain' section"),
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

    configs = sorted((REPO_ROOT / "configs").rglob("*.yaml"))
    assert configs, "configs/ should hold at least the default config"
    for path in configs:
        load_config(path)
