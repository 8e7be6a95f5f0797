"""Labels in the SCAN objective (outputs become classes, no mapping), how auto picks a mode, and resume safety."""
import re

import numpy as np
import pandas as pd
import pytest
import torch

from kit.errors import ConfigError, Interrupted
from kit.models import load_model
from kit.refine import refine
from kit.refine.phases import lr_factor
from kit.refine.train import resolve_mode
from tests.interrupts import crash_after_epoch

FAST = dict(augment="none", strong_augment="none", progress=False, device="cpu")  # frozen encoder, cached features


def probs(out):
    return np.load(out / "probabilities.npz")["probabilities"]


@pytest.fixture(scope="module")
def labeled(digits):
    """5 labeled images per class: (positions, classes)."""
    rng = np.random.default_rng(0)
    index = np.concatenate([rng.choice(np.flatnonzero(digits.labels == c), 5, replace=False) for c in range(10)])
    return index, digits.labels[index]


def test_auto_is_scan_whenever_neighbours_can_be_mined():
    assert resolve_mode("auto", has_labels=False) == "scan"
    assert resolve_mode("auto", has_labels=True) == "scan"  # a model folder: neighbours in its features
    assert resolve_mode("auto", True, fresh=True, neighbor_features="dsift") == "scan"
    assert resolve_mode("auto", True, fresh=True, neighbor_features="model") == "semi"  # random features
    assert resolve_mode("semi", True) == "semi" and resolve_mode("scan", True, True, "model") == "scan"


def test_labels_in_the_scan_loss_make_head_outputs_classes(digits, ae, labeled, tmp_path, monkeypatch):
    import kit.refine.train as mod

    index, classes = labeled

    def no_mapping(*a, **k):
        raise AssertionError("outputs trained on the labels must not be remapped")

    monkeypatch.setattr(mod, "permute_classes", no_mapping)
    out = refine(ae, digits.images, tmp_path / "scan", labeled_index=index, labeled_labels=classes, mode="scan",
                 epochs=30, self_label_epochs=2, confidence=0.9, seed=1, **FAST)
    pred = probs(out).argmax(1)
    assert (pred[index] == classes).mean() >= 0.95
    assert (pred == digits.labels).mean() > 0.8  # plain accuracy, no mapping
    metrics = pd.read_csv(out / "metrics.csv")
    assert list(metrics["phase"].unique()) == ["scan", "self-label"]
    assert (metrics["labeled_loss"] > 0).all() and metrics["labeled_loss"].iloc[-1] < metrics["labeled_loss"].iloc[0]
    meta = pd.read_json(out / "model.json", typ="series")
    assert meta["refine"]["labels_in_loss"] and meta["refine"]["mode"] == "scan"


def test_labeled_weight_zero_falls_back_to_the_hungarian_mapping(digits, ae, labeled, tmp_path, monkeypatch):
    import kit.refine.train as mod

    index, classes = labeled
    calls = []
    real = mod.permute_classes
    monkeypatch.setattr(mod, "permute_classes", lambda head, order: calls.append(order) or real(head, order))
    out = refine(ae, digits.images, tmp_path / "w0", labeled_index=index, labeled_labels=classes, labeled_weight=0,
                 epochs=20, self_label_epochs=0, seed=1, **FAST)
    assert len(calls) == 1 and sorted(calls[0]) == list(range(10))
    assert (pd.read_csv(out / "metrics.csv")["labeled_loss"] == 0).all()
    assert not pd.read_json(out / "model.json", typ="series")["refine"]["labels_in_loss"]
    assert (probs(out).argmax(1)[index] == classes).mean() > 0.6  # mapped to classes after all


def test_fresh_network_without_a_descriptor_uses_semi_with_labels(digits, labeled, tmp_path):
    index, classes = labeled
    out = refine("small_cnn", digits.images, tmp_path / "f", model_kwargs={"width": 8}, freeze_encoder=False,
                 labeled_index=index, labeled_labels=classes, epochs=1, batch_size=256, progress=False, device="cpu")
    assert pd.read_csv(out / "metrics.csv")["phase"].tolist() == ["semi"]
    assert pd.read_json(out / "model.json", typ="series")["refine"]["mode"] == "semi"


def test_scan_with_labels_resumes_to_the_same_result(digits, ae, labeled, tmp_path, monkeypatch):
    import kit.refine.train as mod

    index, classes = labeled
    kw = dict(labeled_index=index, labeled_labels=classes, epochs=4, self_label_epochs=2, confidence=0.5, seed=5,
              **FAST)
    full = refine(ae, digits.images, tmp_path / "full", **kw)
    with monkeypatch.context() as m:
        crash_after_epoch(m, mod, 3)
        with pytest.raises(Interrupted, match="resume from epoch 4"):
            refine(ae, digits.images, tmp_path / "cut", **kw)
    ck = torch.load(tmp_path / "cut" / "checkpoints" / "last.pt", weights_only=True)
    assert "model" not in ck and {"heads", "optimizer", "best", "options", "rng"} <= set(ck)
    cut = refine(ae, digits.images, tmp_path / "cut", resume=True, **kw)
    assert np.array_equal(probs(full), probs(cut))
    a, b = torch.load(full / "model.pt", weights_only=True), torch.load(cut / "model.pt", weights_only=True)
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def interrupted(digits, ae, labeled, tmp_path_factory):
    """A refine run (k=10, seed 0, labels) whose checkpoint a resume would continue from."""
    out = tmp_path_factory.mktemp("interrupted")
    index, classes = labeled
    kw = dict(labeled_index=index, labeled_labels=classes, k=10, epochs=2, self_label_epochs=1, seed=0, **FAST)
    refine(ae, digits.images, out, **kw)
    return out, kw


@pytest.mark.parametrize("change,message", [
    ({"k": 5}, "refine.k=10 (now 5)"),
    ({"seed": 3}, "refine.seed=0 (now 3)"),
    ({"epochs": 5}, "refine.epochs=2 (now 5)"),
    ({"self_label_epochs": 0}, "refine.self_label_epochs=1 (now 0)"),
    ({"mode": "semi"}, "refine.mode='scan' (now 'semi')"),
    ({"labeled_weight": 2.0}, "refine.labeled_weight=1.0 (now 2.0)"),
    ({"augment": "light"}, "refine.augment='none' (now 'light')"),
    ({"k": 5, "seed": 3}, "refine.k=10 (now 5) and refine.seed=0 (now 3)"),  # every change is named
])
def test_resume_with_other_options_is_refused(digits, ae, interrupted, change, message):
    out, kw = interrupted
    before = (out / "checkpoints" / "last.pt").read_bytes()
    # the fixture's run finished its 3 epochs: the message says "finished", not "interrupted"
    with pytest.raises(ConfigError, match=re.escape("the finished refine (3 epochs) ran with " + message)) as e:
        refine(ae, digits.images, out, resume=True, **{**kw, **change})
    assert "\n" not in str(e.value) and "start fresh with --overwrite instead of --resume" in str(e.value)
    assert (out / "checkpoints" / "last.pt").read_bytes() == before


def test_resume_with_other_labels_or_model_is_refused(digits, ae, interrupted, tmp_path):
    out, kw = interrupted
    with pytest.raises(ConfigError, match="trained on other images, labels or neighbours"):
        refine(ae, digits.images, out, resume=True, **{**kw, "labeled_labels": (kw["labeled_labels"] + 1) % 10})
    with pytest.raises(ConfigError, match="trained on other images, labels or neighbours"):
        refine(ae, digits.images[::-1].copy(), out, resume=True, **kw)
    import shutil

    other = shutil.copytree(ae, tmp_path / "other_ae")
    with pytest.raises(ConfigError, match="refine.model="):
        refine(other, digits.images, out, resume=True, **kw)


def test_resume_with_the_same_options_continues(digits, ae, interrupted):
    out, kw = interrupted
    refine(ae, digits.images, out, resume=True, **{**kw, "progress": False, "device": "cpu"})  # all 3 epochs done
    assert pd.read_csv(out / "metrics.csv")["epoch"].tolist() == [1, 2, 3]
    assert load_model(out).n_classes == 10


def test_lr_schedule_is_a_function_of_the_step():
    assert lr_factor("constant", 7, 10) == 1.0
    cosine = [lr_factor("cosine", s, 10) for s in range(11)]
    assert cosine[0] == 1.0 and cosine[-1] == pytest.approx(0.01) and cosine[5] == pytest.approx(0.505)
    assert all(a > b for a, b in zip(cosine, cosine[1:]))
