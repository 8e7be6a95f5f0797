"""`kit config schema` prints what the validator checks (keys, defaults, bounds, choices); `kit config check`
validates without running; unreadable config files are one 'error:' line through the real entry point."""
import os
import subprocess
import sys

import pytest
import yaml
from typer.testing import CliRunner

import kit.cli.main  # noqa: F401  registers every command
from kit.cli.app import app
from kit.config import SECTIONS

runner = CliRunner()
ENV = {**os.environ, "NO_ALBUMENTATIONS_UPDATE": "1", "COLUMNS": "200"}


def kit(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "kit", *map(str, args)], capture_output=True, text=True, env=ENV,
                          cwd=cwd, timeout=300)


def rows(output):
    """key -> the rest of its line."""
    return {line.split()[0]: line for line in output.splitlines() if line and not line.startswith("#")}


def test_schema_lists_every_section_with_defaults_bounds_and_choices():
    res = runner.invoke(app, ["config", "schema"], terminal_width=200)
    assert res.exit_code == 0, res.output
    keys = rows(res.stdout)
    assert set(SECTIONS) <= {k.split(".")[0].rstrip(":") for k in keys}
    assert "0.95" in keys["refine.fixmatch_threshold"] and "in [0, 1]" in keys["refine.fixmatch_threshold"]
    assert "256" in keys["refine.head_hidden"] and ">= 0" in keys["refine.head_hidden"]
    assert "conv_ae4" in keys["pretrain.model"]
    assert "one of reconstruction, denoising, simclr" in keys["pretrain.objective"]
    assert "majority" in keys["cluster.mapping"] and "hungarian" in keys["cluster.mapping"]
    from kit.config import smoothing  # the stage's own defaults, not another key's (was: 'majority' for both)
    assert keys["cluster.smooth_k"].split()[1] == str(smoothing({})["smooth_k"])
    assert keys["cluster.smooth_alpha"].split()[1] == str(smoothing({})["smooth_alpha"])
    assert keys["validate.holdout"].split()[1] == "0.0"
    assert "<= 65536" in keys["pretrain.model_kwargs.latent_dim"]
    assert "threshold" not in {k.split(".")[-1] for k in keys}  # only names a config can set


def test_schema_of_one_section_and_a_misspelt_one():
    res = runner.invoke(app, ["config", "schema", "refine"], terminal_width=200)
    assert res.exit_code == 0 and {k.split(".")[0] for k in rows(res.stdout)} == {"refine"}
    res = kit("config", "schema", "refien")
    assert res.returncode == 2 and "did you mean 'refine'?" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_check_validates_with_overrides_and_prints_the_filled_config(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"name": "c", "competition": {"dir": str(tmp_path / "comp"),
                                                                 "make": {"source": {"kind": "digits"}}},
                                    "pretrain": {"model": "mlp_ae", "epochs": 3},
                                    "cluster": {"method": "kmeans"}}))
    res = runner.invoke(app, ["config", "check", str(path), "pretrain.epochs=5", "~pretrain.model"])
    assert res.exit_code == 0, res.output
    cfg = yaml.safe_load(res.stdout)
    assert cfg["pretrain"] == {"epochs": 5} and cfg["extract"]["model"] == "pretrain"
    assert not (tmp_path / "comp").exists()  # nothing was built
    res = kit("config", "check", path, "pretrain.lr=.nan")
    assert res.returncode == 2 and res.stderr.strip().endswith("pretrain.lr must be a finite number, got nan")
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content, message", [
    (b"name: x\ncompetition:\n  dir: a: b\n", "invalid YAML at line 3, column 9: mapping values are not allowed here"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not a UTF-8 text file (byte 0x89 at offset 0); a config is YAML text"),
])
def test_kit_run_on_an_unreadable_file_is_one_line(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    res = kit("run", path, cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip() == f"error: {path}: {message}"


def test_check_catches_what_used_to_fail_only_when_a_stage_started(tmp_path, monkeypatch):
    """timm + latent_dim, a CUDA device on a machine without one, a copy_to under a file: `kit config check` says
    so, as `kit run` does at load."""
    import torch

    from kit.errors import ConfigError

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    (tmp_path / "ofile").write_text("x")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "name": "c", "competition": {"make": {"source": {"kind": "digits"}}},
        "pretrain": {"model": "mlp_ae", "model_kwargs": {"latent_dim": 8}}, "cluster": {"method": "kmeans"}}))
    for override, message in (("pretrain.model=timm:test_resnet", "timm encoders ignore latent_dim"),
                              ("pretrain.device=cuda", "pretrain.device is 'cuda', but this machine has no CUDA GPU"),
                              ("submit.copy_to=ofile/s.csv", "ofile is a file, so ofile/s.csv cannot be created")):
        res = runner.invoke(app, ["config", "check", "c.yaml", override], terminal_width=200)
        assert isinstance(res.exception, ConfigError) and message in str(res.exception), (override, res.output)
    res = runner.invoke(app, ["config", "check", "c.yaml", "submit.copy_to=odir/"], terminal_width=200)
    assert res.exit_code == 0 and "copy_to: odir/c-{id}.csv" in res.stdout, res.output
