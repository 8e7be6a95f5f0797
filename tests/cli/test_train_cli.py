"""`kit pretrain`, `kit finetune` and `kit extract` through the CLI on a tiny digits competition."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import kit.cli.main  # noqa: F401  registers every command
from kit.cli.app import app
from kit.competition import load_competition, make_competition
from kit.data import load_source
from kit.errors import ConfigError, DataError
from kit.features.files import load_features

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def comps(tmp_path_factory):
    root = tmp_path_factory.mktemp("comps")
    src = load_source({"kind": "digits", "limit": 500})
    labeled = make_competition(src, root / "labeled", "label", labels_per_class=5)
    unlabeled = make_competition(src, root / "unlabeled", "label")
    return labeled, unlabeled


def test_pretrain_finetune_extract(tmp_path, comps):
    comp, _ = comps
    res = invoke("pretrain", comp, "--out", tmp_path / "ae", "--model", "mlp_ae", "--latent-dim", "6",
                 "--epochs", "2", "--batch-size", "64", "--lr", "0.003", "--device", "cpu")
    assert res.exit_code == 0, res.output
    meta = json.loads((tmp_path / "ae" / "model.json").read_text())
    assert meta["name"] == "mlp_ae" and meta["kwargs"] == {"latent_dim": 6}
    m = pd.read_csv(tmp_path / "ae" / "metrics.csv")
    assert m["epoch"].tolist() == [1, 2] and m["val_acc"].notna().all()  # the labeled images serve as validation

    # --resume with more epochs continues from last.pt instead of starting over
    res = invoke("pretrain", comp, "--out", tmp_path / "ae", "--model", "mlp_ae", "--latent-dim", "6",
                 "--epochs", "3", "--batch-size", "64", "--lr", "0.003", "--device", "cpu", "--resume")
    assert res.exit_code == 0, res.output
    m = pd.read_csv(tmp_path / "ae" / "metrics.csv")
    assert m["epoch"].tolist() == [1, 2, 3]
    # the cosine schedule is stretched to the new total (not restarted, not stuck at the old run's final LR of 0)
    assert m["lr"].tolist() == pytest.approx([0.003, 0.0015, 0.003 * 0.25])

    res = invoke("finetune", tmp_path / "ae", comp, "--out", tmp_path / "ft", "--epochs", "3")
    assert res.exit_code == 0, res.output
    c = load_competition(comp)
    assert json.loads((tmp_path / "ft" / "model.json").read_text())["head"]["n_classes"] == c.n_classes

    for model, kind, dim in ((tmp_path / "ae", "latent", 6), ("raw", "latent", 64), (tmp_path / "ft", "logits", c.n_classes)):
        res = invoke("extract", model, comp, "--out", tmp_path / f"{kind}{dim}.npz", "--kind", kind)
        assert res.exit_code == 0, res.output
        ids, feats = load_features(tmp_path / f"{kind}{dim}.npz")
        assert feats.shape == (len(c.images), dim) and np.array_equal(ids, c.images.ids)


def test_pretrain_config_section(tmp_path, comps):
    comp, _ = comps
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"pretrain": {"model": "mlp_ae", "model_kwargs": {"latent_dim": 4}, "epochs": 1,
                                                "objective": "denoising", "noise_sigma": 0.2}}))
    res = invoke("pretrain", comp, "--out", tmp_path / "m", "--config", cfg, "--device", "cpu")
    assert res.exit_code == 0, res.output
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["objective"] == "denoising" and meta["kwargs"] == {"latent_dim": 4}
    cfg.write_text(yaml.safe_dump({"pretrain": {"epochz": 1}}))
    res = invoke("pretrain", comp, "--out", tmp_path / "m2", "--config", cfg)
    assert isinstance(res.exception, ConfigError) and "epochz" in str(res.exception)


def test_finetune_without_labels_is_an_error(tmp_path, comps):
    labeled, unlabeled = comps
    invoke("pretrain", labeled, "--out", tmp_path / "ae", "--model", "mlp_ae", "--epochs", "1", "--device", "cpu")
    res = invoke("finetune", tmp_path / "ae", unlabeled, "--out", tmp_path / "ft")
    assert isinstance(res.exception, DataError) and "no labeled images" in str(res.exception)


def test_errors_exit_2_with_one_line(tmp_path, comps):
    comp, _ = comps
    proc = subprocess.run([sys.executable, "-m", "kit", "pretrain", str(comp), "--out", str(tmp_path / "m"),
                           "--objective", "magic"], capture_output=True, text=True)
    err = proc.stderr
    assert proc.returncode == 2 and "'magic' is not one of 'reconstruction', 'denoising', 'simclr'" in err
    assert "Try 'kit pretrain -h' for help." in err and "Traceback" not in err
    assert not (tmp_path / "m").exists()  # rejected by the option parser, before any work
    res = invoke("extract", tmp_path / "nope", comp, "--out", tmp_path / "f.npz")
    assert isinstance(res.exception, DataError) and "not a model folder" in str(res.exception)


def test_finetune_resume_continues_and_refuses_other_options(tmp_path, comps):
    comp, _ = comps
    invoke("pretrain", comp, "--out", tmp_path / "ae", "--model", "mlp_ae", "--epochs", "1", "--device", "cpu")
    assert invoke("finetune", tmp_path / "ae", comp, "--out", tmp_path / "ft", "--epochs", "2").exit_code == 0
    res = invoke("finetune", tmp_path / "ae", comp, "--out", tmp_path / "ft", "--epochs", "3", "--lr", "0.1", "--resume")
    assert isinstance(res.exception, ConfigError) and "finetune.lr=0.003, now 0.1" in str(res.exception)
    res = invoke("finetune", tmp_path / "ae", comp, "--out", tmp_path / "ft", "--epochs", "3", "--resume")
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "ft" / "metrics.csv")["epoch"].tolist() == [1, 2, 3]  # only epoch 3 trained now
    res = invoke("finetune", tmp_path / "ae", comp, "--out", tmp_path / "ft", "--epochs", "2")  # no --resume: anew
    assert res.exit_code == 0 and pd.read_csv(tmp_path / "ft" / "metrics.csv")["epoch"].tolist() == [1, 2]
