"""The -o folder of the training commands (kit.train.outputs) and what a checkpoint says about its run."""
import re

import numpy as np
import pytest
import torch

from kit.data import load_source
from kit.errors import ConfigError, DataError, Interrupted
from kit.train.finetune import finetune
from kit.train.loop import epochs_total, open_state, save_state
from kit.train.outputs import check_out, discard, folder_state, no_leftovers
from kit.train.pretrain import pretrain
from tests.interrupts import crash_after_epoch

PRE = dict(model="mlp_ae", model_kwargs={"latent_dim": 4, "hidden": [8]}, batch_size=64, progress=False,
           device="cpu")


@pytest.fixture(scope="module")
def digits():
    return load_source({"kind": "digits", "limit": 130})


@pytest.fixture(scope="module")
def ae(digits, tmp_path_factory):
    return pretrain(digits.images, tmp_path_factory.mktemp("ae"), epochs=1, **PRE)


def _interrupted_pretrain(images, out, monkeypatch, epochs=3):
    with monkeypatch.context() as m:
        crash_after_epoch(m, "kit.train.pretrain", through="save_state")  # Ctrl-C after the first checkpoint
        with pytest.raises(Interrupted):
            pretrain(images, out, epochs=epochs, **PRE)


def test_folder_state_tells_interrupted_from_finished(digits, tmp_path, monkeypatch):
    assert folder_state(tmp_path / "none") is None and folder_state(tmp_path) is None
    _interrupted_pretrain(digits.images, tmp_path / "p", monkeypatch)
    assert folder_state(tmp_path / "p") == ("interrupted", 1, 3)
    pretrain(digits.images, tmp_path / "p", epochs=3, resume=True, **PRE)
    assert folder_state(tmp_path / "p") == ("finished", 3, 3)
    # started again for 5 epochs and interrupted: the old model.json is still there, yet the run is not finished
    _interrupted_pretrain(digits.images, tmp_path / "p", monkeypatch, epochs=5)
    assert folder_state(tmp_path / "p") == ("interrupted", 1, 5)


def test_check_out_says_which_flag_to_add(digits, tmp_path, monkeypatch):
    out = tmp_path / "p"
    check_out(out, "pretrain", resume=False, overwrite=False)  # nothing there: fine
    _interrupted_pretrain(digits.images, out, monkeypatch)
    with pytest.raises(ConfigError, match=re.escape(f"{out} holds an interrupted run (epoch 1 of 3): add --resume "
                                                    "to continue it, or --overwrite to start again")):
        check_out(out, "pretrain", resume=False, overwrite=False)
    check_out(out, "pretrain", resume=True, overwrite=False)
    check_out(out, "pretrain", resume=False, overwrite=True)
    with pytest.raises(ConfigError, match="give one of them"):
        check_out(out, "pretrain", resume=True, overwrite=True)
    (out / "checkpoints" / "last.pt").unlink()
    (out / "model.json").write_text("{}")  # a finished model with no checkpoint: nothing to resume
    with pytest.raises(ConfigError, match="holds a finished model but no checkpoints/last.pt to resume from"):
        check_out(out, "refine", resume=True, overwrite=False)
    with pytest.raises(ConfigError, match=r"holds a finished model: add --overwrite to replace it, or choose"):
        check_out(out, "refine", resume=False, overwrite=False)
    (out / "checkpoints" / "last.pt").write_bytes(b"garbage")  # unreadable: still never replaced silently
    with pytest.raises(ConfigError, match="holds a finished model"):
        check_out(out, "pretrain", resume=False, overwrite=False)
    (out / "model.json").unlink()
    with pytest.raises(ConfigError, match=re.escape("holds an interrupted run (checkpoints/last.pt)")):
        check_out(out, "pretrain", resume=False, overwrite=False)


def test_discard_deletes_only_kit_files(tmp_path):
    out = tmp_path / "m"
    (out / "checkpoints").mkdir(parents=True)
    for name in ("model.pt", "model.json", "metrics.csv", "probabilities.npz", "notes.txt",
                 "checkpoints/last.pt", "checkpoints/epoch_003.pt"):
        (out / name).write_text("x")
    (out / "sub").mkdir()
    discard(out)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "sub"]
    (out / "checkpoints").mkdir()
    (out / "checkpoints" / "last.pt").write_text("x")
    (out / "checkpoints" / "mine.txt").write_text("x")
    with pytest.raises(ConfigError, match=r"holds files kit did not write \(mine.txt\)"):
        discard(out)
    assert (out / "checkpoints" / "mine.txt").exists()


def test_no_leftovers_removes_only_empty_folders_it_made(tmp_path):
    out = tmp_path / "new"
    with pytest.raises(ValueError), no_leftovers(out):
        (out / "checkpoints").mkdir(parents=True)
        raise ValueError
    assert not out.exists()
    with pytest.raises(KeyboardInterrupt), no_leftovers(out):
        (out / "checkpoints").mkdir(parents=True)
        (out / "checkpoints" / "last.pt").write_text("x")  # a resume point stays
        raise KeyboardInterrupt
    assert (out / "checkpoints" / "last.pt").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    with pytest.raises(DataError), no_leftovers(mine):
        raise DataError("x")
    assert mine.exists()  # the user's folder, even empty
    with pytest.raises(DataError), no_leftovers(mine, emptied=True):  # --overwrite emptied it
        raise DataError("x")
    assert not mine.exists()


def test_resume_refusal_says_interrupted_or_finished_and_names_every_change(digits, tmp_path, monkeypatch):
    out = tmp_path / "p"
    _interrupted_pretrain(digits.images, out, monkeypatch)
    with pytest.raises(ConfigError, match=re.escape("the interrupted pretrain (epoch 1 of 3) ran with pretrain.lr=0.001 "
                                                    "(now 0.01) and pretrain.seed=0 (now 4);")):
        pretrain(digits.images, out, epochs=3, resume=True, **{**PRE, "lr": 0.01, "seed": 4})
    with pytest.raises(ConfigError, match=re.escape("the interrupted pretrain (epoch 1 of 3) ran with pretrain.lr="
                                                    "0.001 (now 0.01) and trained on other images")):
        pretrain(digits.images[::-1].copy(), out, epochs=3, resume=True, **{**PRE, "lr": 0.01})
    pretrain(digits.images, out, epochs=3, resume=True, **PRE)
    with pytest.raises(ConfigError, match=re.escape("the finished pretrain (3 epochs) ran with pretrain.batch_size=64 "
                                                    "(now 32), pretrain.lr=0.001 (now 0.01) and pretrain.seed=0 "
                                                    "(now 4); resume with its options, or start fresh with "
                                                    "--overwrite instead of --resume")):
        pretrain(digits.images, out, epochs=4, resume=True, **{**PRE, "lr": 0.01, "seed": 4, "batch_size": 32})


def test_epochs_total_of_an_older_refine_checkpoint(tmp_path):
    path = tmp_path / "last.pt"
    save_state(path, {"epochs": 4, "self_label_epochs": 2, "mode": "scan"}, epoch=1, metrics=[])
    ck = torch.load(path, weights_only=True)
    assert "epochs_total" not in ck and epochs_total(ck) == 6  # read from the options
    save_state(path, {"epochs": 4, "self_label_epochs": 2, "mode": "semi"}, epoch=1, metrics=[])
    assert epochs_total(torch.load(path, weights_only=True)) == 4  # semi has no self-labelling phase
    save_state(path, {"lr": 1.0}, epoch=1, metrics=[], total=9)
    assert epochs_total(torch.load(path, weights_only=True)) == 9
    save_state(path, {"lr": 1.0}, epoch=1, metrics=[])
    assert epochs_total(torch.load(path, weights_only=True)) is None
    with pytest.raises(ConfigError, match=r"the interrupted refine ran with refine.lr=1.0 \(now 2.0\)"):
        open_state(path, True, torch.device("cpu"), "refine", {"lr": 2.0})


def test_finetune_refuses_a_batch_of_one_image(ae, digits, tmp_path):
    """The head's BatchNorm cannot train on one image: batch_size=1 is refused before anything is written. (A last
    batch of one image is skipped instead: tests/cli/test_train_cli.py, test_finetune_last_batch_of_one_image_trains)"""
    with pytest.raises(ConfigError, match=r"finetune.batch_size must be (an integer )?>= 2"):
        finetune(ae, digits.images[:65], digits.labels[:65], tmp_path / "ft1", batch_size=1, epochs=1,
                 progress=False, device="cpu")
    assert not (tmp_path / "ft1").exists()


def test_finetune_never_trains_on_a_single_image(ae, digits, tmp_path):
    """Two labels of one class and half held out would leave one training image: nothing is held out instead."""
    images, labels = digits.images[:2], np.zeros(2, dtype=np.int64)
    out = finetune(ae, images, labels, tmp_path / "ft", val_fraction=0.5, batch_size=4, epochs=1, n_classes=1,
                   progress=False, device="cpu")
    assert (out / "model.pt").exists()


def test_a_run_that_fails_before_its_first_checkpoint_makes_no_folder(digits, tmp_path):
    with pytest.raises(ConfigError, match="pretrain.seed must be"):
        pretrain(digits.images, tmp_path / "p", epochs=1, seed=-1, **PRE)
    with pytest.raises(ConfigError, match="finetune.seed must be"):
        finetune(tmp_path / "nowhere", digits.images[:20], digits.labels[:20], tmp_path / "f", seed=2**32)
    assert not (tmp_path / "p").exists() and not (tmp_path / "f").exists()
