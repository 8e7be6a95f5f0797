"""The shared resume plumbing: a checkpoint records the options that shaped training and refuses a resume with
others; finetune checkpoints and resumes like pretrain; the Ctrl-C message says how to resume."""
import re

import numpy as np
import pandas as pd
import pytest
import torch

from kit.data import load_source
from kit.errors import ConfigError, Interrupted
from kit.train.finetune import finetune
from kit.train.loop import (fingerprint, load_checkpoint, open_state, rerun_hint, resumable, save_checkpoint,
                            save_state)
from kit.train.pretrain import pretrain
from tests.interrupts import crash_after_epoch

PRE = dict(model="mlp_ae", model_kwargs={"latent_dim": 4}, epochs=2, batch_size=32, progress=False, device="cpu")


@pytest.fixture(scope="module")
def digits():
    return load_source({"kind": "digits", "limit": 300})


@pytest.fixture(scope="module")
def ae(digits, tmp_path_factory):
    return pretrain(digits.images, tmp_path_factory.mktemp("ae"), **PRE)


@pytest.mark.parametrize("change,named", [
    ({"seed": 1}, "pretrain.seed=0 (now 1)"), ({"lr": 0.01}, "pretrain.lr=0.001 (now 0.01)"),
    ({"objective": "denoising"}, "pretrain.objective='reconstruction' (now 'denoising')"),
    ({"model_kwargs": {"latent_dim": 7}}, "pretrain.model_kwargs"),
])
def test_pretrain_resume_with_other_options_is_refused(digits, tmp_path, change, named):
    pretrain(digits.images, tmp_path, **PRE)
    before = (tmp_path / "checkpoints" / "last.pt").read_bytes()
    # the run finished (2 of 2 epochs): the message says so, not "interrupted"
    with pytest.raises(ConfigError, match=re.escape("the finished pretrain (2 epochs) ran with " + named)) as e:
        pretrain(digits.images, tmp_path, resume=True, **{**PRE, "epochs": 3, **change})
    assert "\n" not in str(e.value) and "--overwrite instead of --resume" in str(e.value)
    assert (tmp_path / "checkpoints" / "last.pt").read_bytes() == before  # refused before touching anything


def test_pretrain_resume_on_other_images_is_refused(digits, tmp_path):
    pretrain(digits.images, tmp_path, **PRE)
    with pytest.raises(ConfigError, match="trained on other images, labels or neighbours"):
        pretrain(digits.images[::-1].copy(), tmp_path, resume=True, **{**PRE, "epochs": 3})


def test_options_and_data_are_compared_as_recorded(tmp_path):
    path = tmp_path / "last.pt"
    options = {"k": 20, "reduce": [{"method": "pca", "n_components": 10}], "data": fingerprint(np.arange(5))}
    save_state(path, options, epoch=3, metrics=[{"epoch": 3}], heads={})
    assert open_state(path, True, torch.device("cpu"), "refine", dict(options), needs=("heads",))["epoch"] == 3
    assert open_state(path, False, torch.device("cpu"), "refine", {"k": 5}) is None  # not resuming: not checked
    with pytest.raises(ConfigError, match=r"refine.reduce=\[\{'method': 'pca', 'n_components': 10\}\] \(now None\)"):
        open_state(path, True, torch.device("cpu"), "refine", {**options, "reduce": None})
    with pytest.raises(ConfigError, match="not a kit checkpoint \\(no optimizer\\)"):
        open_state(path, True, torch.device("cpu"), "refine", options, needs=("optimizer",))
    assert fingerprint(np.arange(5)) != fingerprint(np.arange(5).astype(np.int32)) != fingerprint(None)


def test_checkpoint_without_recorded_options_is_refused(tmp_path):
    """An older kit's checkpoint (no options recorded) cannot be checked, so it is not resumed."""
    path = tmp_path / "last.pt"
    save_checkpoint(path, model={}, epoch=1, metrics=[], rng={})
    with pytest.raises(ConfigError, match="no options.*--overwrite instead of --resume"):
        open_state(path, True, torch.device("cpu"), "pretrain", {})


def test_validator_checks_what_the_caller_reads(tmp_path):
    path = tmp_path / "x.pt"
    save_checkpoint(path, heads={}, epoch=2)  # a refine checkpoint: no model state
    assert load_checkpoint(path, torch.device("cpu"), needs=("heads", "epoch"))["epoch"] == 2
    with pytest.raises(ConfigError, match=r"no model\)"):
        load_checkpoint(path, torch.device("cpu"))  # the default: a model state (checkpoint curves read it)


def test_rerun_hint_names_the_flag_only_where_a_plain_rerun_starts_over(tmp_path):
    last = tmp_path / "last.pt"
    save_checkpoint(last, epoch=4)
    with pytest.raises(Interrupted, match="refine interrupted; rerun to resume from epoch 5$"):
        with resumable("refine", last):
            raise KeyboardInterrupt
    with pytest.raises(Interrupted, match="refine interrupted; rerun with --resume to resume from epoch 5$"):
        with rerun_hint("rerun with --resume"), resumable("refine", last):
            raise KeyboardInterrupt
    with pytest.raises(Interrupted, match="; rerun to resume"):  # the hint does not outlive its block
        with resumable("refine", last):
            raise KeyboardInterrupt


FT = dict(epochs=4, batch_size=16, augment="light", progress=False, device="cpu", seed=2)


def test_finetune_resumes_to_the_same_weights(digits, ae, tmp_path, monkeypatch):
    images, labels = digits.images[:120], digits.labels[:120]
    full = finetune(ae, images, labels, tmp_path / "full", freeze_encoder=False, **FT)
    with monkeypatch.context() as m:
        crash_after_epoch(m, "kit.train.finetune", 2, through="save_state")
        with pytest.raises(Interrupted, match="finetune interrupted; rerun to resume from epoch 3$"):
            finetune(ae, images, labels, tmp_path / "cut", freeze_encoder=False, **FT)
    assert not (tmp_path / "cut" / "model.pt").exists()
    cut = finetune(ae, images, labels, tmp_path / "cut", freeze_encoder=False, resume=True, **FT)
    a, b = torch.load(full / "model.pt", weights_only=True), torch.load(cut / "model.pt", weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    pd.testing.assert_frame_equal(pd.read_csv(full / "metrics.csv").drop(columns="seconds"),
                                  pd.read_csv(cut / "metrics.csv").drop(columns="seconds"))


def test_finetune_resume_may_add_epochs_but_not_change_options(digits, ae, tmp_path):
    images, labels = digits.images[:120], digits.labels[:120]
    finetune(ae, images, labels, tmp_path / "ft", **{**FT, "epochs": 2})
    with pytest.raises(ConfigError, match=re.escape("finished finetune (2 epochs) ran with finetune.lr=0.003 (now 0.01)")):
        finetune(ae, images, labels, tmp_path / "ft", resume=True, lr=0.01, **FT)
    with pytest.raises(ConfigError, match="trained on other images, labels or neighbours"):
        finetune(ae, images, (labels + 1) % 10, tmp_path / "ft", resume=True, **FT)
    longer = finetune(ae, images, labels, tmp_path / "ft", resume=True, **FT)  # no LR schedule: 2 more epochs
    assert pd.read_csv(longer / "metrics.csv")["epoch"].tolist() == [1, 2, 3, 4]
    straight = finetune(ae, images, labels, tmp_path / "straight", **FT)
    a, b = torch.load(longer / "model.pt", weights_only=True), torch.load(straight / "model.pt", weights_only=True)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_finetune_stage_resumes_a_crashed_run(digits, ae, tmp_path, monkeypatch):
    """kit run keeps a crashed finetune folder and its stage resumes from checkpoints/last.pt."""
    from kit.competition import load_competition, make_competition
    from kit.pipeline.stages import finetune_stage

    comp = load_competition(make_competition(digits, tmp_path / "comp", "label", labels_per_class=5))
    with monkeypatch.context() as m:
        crash_after_epoch(m, "kit.train.finetune", 3, through="save_state")
        with pytest.raises(Interrupted, match="from epoch 4"):
            finetune_stage(comp, ae, {"epochs": 5, "progress": False, "device": "cpu"}, 0, tmp_path / "ft")
    seen = []
    import kit.train.finetune as mod

    real = mod._epoch
    monkeypatch.setattr(mod, "_epoch", lambda *a: seen.append(a[6]) or real(*a))
    finetune_stage(comp, ae, {"epochs": 5, "progress": False, "device": "cpu"}, 0, tmp_path / "ft")
    assert seen == [3, 4]  # only the epochs the crash lost
    assert pd.read_csv(tmp_path / "ft" / "metrics.csv")["epoch"].tolist() == [1, 2, 3, 4, 5]
