"""`kit finetune --config`: the head width is finetune.head_hidden (refine's name too); finetune.hidden, its name in
earlier releases, is still read, with one deprecation line; both is one ConfigError (exit 2)."""
import json

import pytest
import torch
import yaml

from kit.competition import load_competition, make_competition
from kit.data import load_source
from kit.models import load_model
from tests.cli_main import kit_main

DEPRECATION = "finetune.hidden is deprecated and will be removed; write finetune.head_hidden"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from kit.train.pretrain import pretrain

    root = tmp_path_factory.mktemp("ft_head")
    comp = make_competition(load_source({"kind": "digits", "limit": 300}), root / "c", "label", labels_per_class=5)
    model = pretrain(load_competition(comp).images.images, root / "ae", model="mlp_ae",
                     model_kwargs={"latent_dim": 4, "hidden": [8]}, epochs=1, batch_size=64, progress=False,
                     device="cpu")
    return comp, model


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    """The deprecation line is printed once a process: each test starts as a new process would."""
    import kit.train.options

    monkeypatch.setattr(kit.train.options, "_WARNED", set())


def _finetune(capsys, tmp_path, setup, section):
    comp, model = setup
    cfg = tmp_path / "ft.yaml"
    cfg.write_text(yaml.safe_dump({"finetune": {"epochs": 1, "device": "cpu", **section}}))
    code, _, err = kit_main(capsys, "finetune", model, "-c", comp, "-o", tmp_path / "ft", "--config", cfg)
    return code, err


def _head_width(folder) -> int:
    linears = [m for m in load_model(folder).head if isinstance(m, torch.nn.Linear)]
    return linears[0].out_features if len(linears) == 2 else 0


@pytest.mark.parametrize("key", ["head_hidden", "hidden"])
def test_head_width_from_the_config(tmp_path, setup, capsys, key):
    code, err = _finetune(capsys, tmp_path, setup, {key: 16})
    assert code == 0, err
    assert json.loads((tmp_path / "ft" / "model.json").read_text())["head"]["hidden"] == 16  # the stored format
    assert _head_width(tmp_path / "ft") == 16
    lines = [line for line in err.splitlines() if "deprecated" in line]
    assert lines == ([DEPRECATION] if key == "hidden" else []), err


def test_both_names_are_one_config_error(tmp_path, setup, capsys):
    code, err = _finetune(capsys, tmp_path, setup, {"hidden": 16, "head_hidden": 8})
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("error: ") and "finetune.hidden and finetune.head_hidden are both given" in err
    assert not (tmp_path / "ft").exists()


def test_default_head_is_linear(tmp_path, setup, capsys):
    code, err = _finetune(capsys, tmp_path, setup, {})
    assert code == 0, err
    assert _head_width(tmp_path / "ft") == 0 and "deprecated" not in err
