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
from tests.interrupts import crash_after_epoch

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
    res = invoke("pretrain", "-c", comp, "--out", tmp_path / "ae", "--model", "mlp_ae", "--latent-dim", "6",
                 "--epochs", "2", "--batch-size", "64", "--lr", "0.003", "--device", "cpu")
    assert res.exit_code == 0, res.output
    meta = json.loads((tmp_path / "ae" / "model.json").read_text())
    assert meta["name"] == "mlp_ae" and meta["kwargs"] == {"latent_dim": 6}
    m = pd.read_csv(tmp_path / "ae" / "metrics.csv")
    assert m["epoch"].tolist() == [1, 2] and m["val_acc"].notna().all()  # the labeled images serve as validation

    # --resume with more epochs continues from last.pt instead of starting over
    res = invoke("pretrain", "-c", comp, "--out", tmp_path / "ae", "--model", "mlp_ae", "--latent-dim", "6",
                 "--epochs", "3", "--batch-size", "64", "--lr", "0.003", "--device", "cpu", "--resume")
    assert res.exit_code == 0, res.output
    m = pd.read_csv(tmp_path / "ae" / "metrics.csv")
    assert m["epoch"].tolist() == [1, 2, 3]
    # the cosine schedule is stretched to the new total (not restarted, not stuck at the old run's final LR of 0)
    assert m["lr"].tolist() == pytest.approx([0.003, 0.0015, 0.003 * 0.25])

    res = invoke("finetune", tmp_path / "ae", "-c", comp, "--out", tmp_path / "ft", "--epochs", "3")
    assert res.exit_code == 0, res.output
    c = load_competition(comp)
    assert json.loads((tmp_path / "ft" / "model.json").read_text())["head"]["n_classes"] == c.n_classes

    for model, kind, dim in ((tmp_path / "ae", "latent", 6), ("raw", "latent", 64), (tmp_path / "ft", "logits", c.n_classes)):
        res = invoke("extract", model, "-c", comp, "--out", tmp_path / f"{kind}{dim}.npz", "--kind", kind)
        assert res.exit_code == 0, res.output
        ids, feats = load_features(tmp_path / f"{kind}{dim}.npz")
        assert feats.shape == (len(c.images), dim) and np.array_equal(ids, c.images.ids)


def test_pretrain_config_section(tmp_path, comps):
    comp, _ = comps
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"pretrain": {"model": "mlp_ae", "model_kwargs": {"latent_dim": 4}, "epochs": 1,
                                                "objective": "denoising", "noise_sigma": 0.2}}))
    res = invoke("pretrain", "-c", comp, "--out", tmp_path / "m", "--config", cfg, "--device", "cpu")
    assert res.exit_code == 0, res.output
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["objective"] == "denoising" and meta["kwargs"] == {"latent_dim": 4}
    cfg.write_text(yaml.safe_dump({"pretrain": {"epochz": 1}}))
    res = invoke("pretrain", "-c", comp, "--out", tmp_path / "m2", "--config", cfg)
    assert isinstance(res.exception, ConfigError) and "epochz" in str(res.exception)


def test_finetune_without_labels_is_an_error(tmp_path, comps):
    labeled, unlabeled = comps
    invoke("pretrain", "-c", labeled, "--out", tmp_path / "ae", "--model", "mlp_ae", "--epochs", "1", "--device", "cpu")
    res = invoke("finetune", tmp_path / "ae", "-c", unlabeled, "--out", tmp_path / "ft")
    assert isinstance(res.exception, DataError) and "no labeled images" in str(res.exception)


def test_errors_exit_2_with_one_line(tmp_path, comps):
    comp, _ = comps
    proc = subprocess.run([sys.executable, "-m", "kit", "pretrain", "-c", str(comp), "--out", str(tmp_path / "m"),
                           "--objective", "magic"], capture_output=True, text=True)
    err = proc.stderr
    assert proc.returncode == 2 and "'magic' is not one of 'reconstruction', 'denoising', 'simclr'" in err
    assert "Try 'kit pretrain -h' for help." in err and "Traceback" not in err
    assert not (tmp_path / "m").exists()  # rejected by the option parser, before any work
    res = invoke("extract", tmp_path / "nope", "-c", comp, "--out", tmp_path / "f.npz")
    assert isinstance(res.exception, DataError) and "not a model folder" in str(res.exception)


def test_finetune_resume_continues_and_refuses_other_options(tmp_path, comps):
    comp, _ = comps
    invoke("pretrain", "-c", comp, "--out", tmp_path / "ae", "--model", "mlp_ae", "--epochs", "1", "--device", "cpu")
    assert invoke("finetune", tmp_path / "ae", "-c", comp, "--out", tmp_path / "ft", "--epochs", "2").exit_code == 0
    res = invoke("finetune", tmp_path / "ae", "-c", comp, "--out", tmp_path / "ft", "--epochs", "3", "--lr", "0.1", "--resume")
    assert isinstance(res.exception, ConfigError) and "finetune.lr=0.003 (now 0.1)" in str(res.exception)
    res = invoke("finetune", tmp_path / "ae", "-c", comp, "--out", tmp_path / "ft", "--epochs", "3", "--resume")
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "ft" / "metrics.csv")["epoch"].tolist() == [1, 2, 3]  # only epoch 3 trained now
    res = invoke("finetune", tmp_path / "ae", "-c", comp, "--out", tmp_path / "ft", "--epochs", "2")  # no flag: refused
    assert isinstance(res.exception, ConfigError) and "holds a finished model" in str(res.exception)
    res = invoke("finetune", tmp_path / "ae", "-c", comp, "--out", tmp_path / "ft", "--epochs", "2", "--overwrite")  # anew
    assert res.exit_code == 0 and pd.read_csv(tmp_path / "ft" / "metrics.csv")["epoch"].tolist() == [1, 2]


# --- audit fixes: one line and exit 2, nothing half-written, no lost work -----------------------------------------

@pytest.fixture(scope="module")
def tiny_ae(comps, tmp_path_factory):
    """A 1-epoch mlp_ae (latent 4, hidden 8) on the labeled competition's images: a model to finetune or refine."""
    from kit.train.pretrain import pretrain

    comp = load_competition(comps[0])
    return pretrain(comp.images.images, tmp_path_factory.mktemp("tiny_ae"), model="mlp_ae",
                    model_kwargs={"latent_dim": 4, "hidden": [8]}, epochs=1, batch_size=64, progress=False,
                    device="cpu")


def _args(command, comp, model):
    """The arguments of ``command`` (its model, the competition), and options that keep any accidental run to one short epoch."""
    return {"pretrain": ["-c", comp, "--model", "mlp_ae", "--latent-dim", "4", "--epochs", "1"],
            "finetune": [model, "-c", comp, "--epochs", "1"],
            "refine": [model, "-c", comp, "--epochs", "1", "--self-label-epochs", "0", "--neighbors", "5"]}[command]


def test_finetune_last_batch_of_one_image_trains(tmp_path, comps, tiny_ae):
    """50 labels, none held out, batch 49: the last batch holds one image, which the head's BatchNorm cannot train
    on (it crashed, leaving an empty checkpoints/ behind); it is skipped, as pretrain and refine skip it."""
    comp, _ = comps
    cfg = tmp_path / "ft.yaml"
    cfg.write_text(yaml.safe_dump({"finetune": {"val_fraction": 0.0, "batch_size": 49, "epochs": 2, "device": "cpu"}}))
    assert len(load_competition(comp).labeled) % 49 == 1
    res = invoke("finetune", tiny_ae, "-c", comp, "--config", cfg, "-o", tmp_path / "ft")
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "ft" / "metrics.csv")["epoch"].tolist() == [1, 2]
    assert (tmp_path / "ft" / "model.pt").exists()


def test_failed_run_leaves_no_empty_folders(tmp_path, comps, tiny_ae, monkeypatch):
    """A run that fails before its first checkpoint leaves neither -o nor -o/checkpoints behind."""
    import kit.train.finetune as mod

    comp, _ = comps

    def boom(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(mod, "_epoch", boom)
    res = invoke("finetune", tiny_ae, "-c", comp, "-o", tmp_path / "ft", "--epochs", "1")
    assert isinstance(res.exception, ValueError) and not (tmp_path / "ft").exists()
    (tmp_path / "mine").mkdir()  # a folder the user made stays, even empty
    res = invoke("finetune", tiny_ae, "-c", comp, "-o", tmp_path / "mine", "--epochs", "1")
    assert isinstance(res.exception, ValueError) and list((tmp_path / "mine").iterdir()) == []


@pytest.mark.parametrize("command", ["pretrain", "finetune", "refine"])
@pytest.mark.parametrize("seed", ["-1", str(2**32)])
def test_seed_out_of_range_is_a_usage_error(tmp_path, comps, tiny_ae, command, seed):
    res = invoke(command, *_args(command, comps[0], tiny_ae), "--seed", seed, "-o", tmp_path / "out")
    assert res.exit_code == 2 and "--seed" in res.output and not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["pretrain", "finetune"])
def test_config_seed_out_of_range_fails_before_work(tmp_path, comps, tiny_ae, command):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({command: {"seed": -1, "epochs": 1}}))
    res = invoke(command, *_args(command, comps[0], tiny_ae), "--config", cfg, "-o", tmp_path / "out")
    assert isinstance(res.exception, ConfigError) and f"{command}.seed must be" in str(res.exception)
    assert not (tmp_path / "out").exists()


CONFIGS = {  # file bytes -> what the one-line error says ({cmd}: the command's section)
    "binary": (b"name: x\x00\x01\x02\xff\xfe\n", "not a UTF-8 text file"),
    "latin1": ("pretrain: {model: caf\xe9}\n".encode("latin-1"), "not a UTF-8 text file"),
    "syntax": (b"name: x\npretrain: {model: mlp_ae\n  epochs: [1,\ncluster: : :\n", "invalid YAML at line 3"),
    "empty": (b"", "no '{cmd}' section"),
    "flat": (b"epochs: 1\nk: 5\n", "no '{cmd}' section (its options go under a top-level '{cmd}:' key)"),
    "other_section": (b"cluster: {method: kmeans}\n", "no '{cmd}' section"),
    "not_a_mapping": (b"{cmd}: [1, 2]\n", "'{cmd}' must be a mapping of options, got list"),
}


@pytest.mark.parametrize("command", ["pretrain", "finetune", "refine"])
@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_config_file_problems_are_one_line(tmp_path, comps, tiny_ae, command, case):
    """A non-UTF-8 or broken --config, or one without the command's section, is one ConfigError naming the file:
    no traceback, and never a silent run of the defaults."""
    content, message = CONFIGS[case]
    cfg = tmp_path / "c.yaml"
    cfg.write_bytes(content.replace(b"{cmd}", command.encode()))
    res = invoke(command, *_args(command, comps[0], tiny_ae), "--config", cfg, "-o", tmp_path / "out")
    assert isinstance(res.exception, ConfigError), res.output
    text = str(res.exception)
    assert text.startswith(f"--config {cfg}: ") and message.format(cmd=command) in text and "\n" not in text
    assert not (tmp_path / "out").exists()


def test_config_errors_through_the_entry_point(tmp_path, comps):
    from tests.cli.test_main_cli import kit

    cfg = tmp_path / "syn.yaml"
    cfg.write_bytes(CONFIGS["syntax"][0])
    proc = kit("pretrain", "-c", comps[0], "--config", cfg, "-o", tmp_path / "out")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [f"error: --config {cfg}: invalid YAML at line 3, column 9: expected "
                                                "',' or '}', but got ':' (while parsing a flow mapping at line 2)"]


@pytest.mark.parametrize("command", ["pretrain", "finetune", "refine"])
def test_out_that_is_a_file_is_one_line(tmp_path, comps, tiny_ae, command):
    (tmp_path / "ofile").write_text("mine")
    res = invoke(command, *_args(command, comps[0], tiny_ae), "-o", tmp_path / "ofile")
    assert isinstance(res.exception, ConfigError) and "is a file; expected a folder" in str(res.exception)
    assert (tmp_path / "ofile").read_text() == "mine"


@pytest.mark.parametrize("command", ["finetune", "refine"])
def test_out_that_is_the_model_folder_is_refused(comps, tiny_ae, command):
    before = sorted(p.name for p in tiny_ae.iterdir())
    res = invoke(command, *_args(command, comps[0], tiny_ae), "-o", tiny_ae, "--overwrite")
    assert isinstance(res.exception, ConfigError) and "is the model folder" in str(res.exception)
    assert sorted(p.name for p in tiny_ae.iterdir()) == before


def test_latent_dim_help_and_bounds_agree():
    from kit.train.options import DIM_MAX

    import typer

    command = typer.main.get_command(app).commands["pretrain"]
    option = next(p for p in command.params if p.name == "latent_dim")
    assert f"(1..{DIM_MAX})" in option.help and "1024" not in option.help
    for bad in ("0", str(DIM_MAX + 1)):
        res = invoke("pretrain", "-c", "nowhere", "--latent-dim", bad, "-o", "nowhere_out")
        assert res.exit_code == 2 and "--latent-dim" in res.output


@pytest.mark.parametrize("command", ["pretrain", "finetune", "refine"])
def test_plain_rerun_never_replaces_an_interrupted_or_finished_run(tmp_path, comps, tiny_ae, monkeypatch, command):
    """Ctrl-C, then the same command: refused (--resume continues, --overwrite starts again); a finished model is
    replaced only with --overwrite, which deletes only kit's files."""
    import importlib

    from kit.errors import Interrupted

    mod = importlib.import_module({"pretrain": "kit.train.pretrain", "finetune": "kit.train.finetune",
                                   "refine": "kit.refine.train"}[command])
    out = tmp_path / "out"
    args = [*_args(command, comps[0], tiny_ae), "-o", out, "--epochs", "2"]
    with monkeypatch.context() as m:
        crash_after_epoch(m, mod, 1, through="save_state")
        res = invoke(command, *args)
    assert isinstance(res.exception, Interrupted) and "rerun with --resume" in str(res.exception)
    last = out / "checkpoints" / "last.pt"
    before = last.read_bytes()
    total = 2  # refine too: --epochs 2, --self-label-epochs 0
    res = invoke(command, *args)
    assert isinstance(res.exception, ConfigError), res.output
    assert str(res.exception) == (f"{out} holds an interrupted run (epoch 1 of {total}): add --resume to continue "
                                  "it, or --overwrite to start again")
    assert last.read_bytes() == before  # nothing touched
    res = invoke(command, *args, "--resume")
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out / "metrics.csv")["epoch"].tolist() == [1, 2]
    res = invoke(command, *args)
    assert isinstance(res.exception, ConfigError) and str(res.exception).startswith(
        f"{out} holds a finished model: add --overwrite to replace it")
    (out / "notes.txt").write_text("mine")
    (out / "checkpoints" / "epoch_007.pt").write_bytes(b"old")  # a kept checkpoint of the old run: kit's too
    res = invoke(command, *args, "--overwrite", "--epochs", "1")
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out / "metrics.csv")["epoch"].tolist() == [1]  # started again
    assert (out / "notes.txt").read_text() == "mine" and not (out / "checkpoints" / "epoch_007.pt").exists()
    res = invoke(command, *args, "--overwrite", "--resume")
    assert isinstance(res.exception, ConfigError) and "give one of them" in str(res.exception)
