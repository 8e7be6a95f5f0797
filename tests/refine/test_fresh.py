"""refine from scratch: a registered network trained on dense-SIFT neighbours (SCAN without the pretext task)."""
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans

from kit.features.descriptors import dense_sift
from kit.errors import ConfigError, Interrupted
from kit.metrics import cluster_accuracy
from kit.models import load_model
from kit.refine import refine
from kit.train.inference import batched
from tests.interrupts import crash_after_epoch

FRESH = dict(neighbor_features="dsift", freeze_encoder=False, augment="light", strong_augment="light", head_hidden=0,
             lr=1e-3, encoder_lr=1e-3, lr_schedule="cosine", n_clusters=10, progress=False)


def probs(out):
    return np.load(out / "probabilities.npz")["probabilities"]


def test_fresh_network_beats_kmeans_on_the_descriptor_it_learned_from(digits, tmp_path):
    kmeans = cluster_accuracy(digits.labels, KMeans(10, n_init=10, random_state=0).fit_predict(dense_sift(digits.images)))
    out = refine("small_cnn", digits.images, tmp_path / "r", epochs=40, self_label_epochs=0, seed=0,
                 **{**FRESH, "augment": "none"})  # a flipped digit is another digit: no light preset here
    acc = cluster_accuracy(digits.labels, probs(out).argmax(1))
    assert acc > kmeans + 0.05, (acc, kmeans)
    # a model folder like any other: rebuilt from model.json, its logits give probabilities.npz's classes
    model = load_model(out)
    assert np.array_equal(batched(model, digits.images, "cpu").argmax(1), probs(out).argmax(1))
    meta = pd.read_json(out / "model.json", typ="series")
    assert meta["name"] == "small_cnn" and meta["kwargs"] == {} and meta["refine"]["fresh"]


def test_cosine_schedule_resumes_to_the_same_result(digits, tmp_path, monkeypatch):
    """The learning rate is a function of the step, so a resumed run replays the rest of the schedule exactly."""
    import kit.refine.train as mod

    images = digits.images[:400]
    kw = dict(model_kwargs={"width": 8}, epochs=3, self_label_epochs=1, batch_size=64, seed=3, **FRESH)
    full = refine("small_cnn", images, tmp_path / "full", **kw)
    with monkeypatch.context() as m:
        crash_after_epoch(m, mod, 2)
        with pytest.raises(Interrupted, match="resume from epoch 3"):
            refine("small_cnn", images, tmp_path / "cut", **kw)
    cut = refine("small_cnn", images, tmp_path / "cut", resume=True, **kw)
    np.testing.assert_array_equal(probs(full), probs(cut))


def test_cosine_schedule_known_learning_rates_per_step(digits, tmp_path, monkeypatch):
    """256 images / 64 = 4 steps x 2 epochs = 8 steps; step s of T = 8 runs at base x (0.01 + 0.495 (1 + cos(pi s / T))),
    whose values are written out below. The last step taken is s = 7, at 4.77% of the base rate: the 1% floor belongs
    to s = T, which is never taken."""
    import torch

    seen = []
    real_step = torch.optim.Adam.step

    def spy(self, *a, **k):
        seen.append([g["lr"] for g in self.param_groups])
        return real_step(self, *a, **k)

    monkeypatch.setattr(torch.optim.Adam, "step", spy)
    refine("small_cnn", digits.images[:256], tmp_path / "c", model_kwargs={"width": 8}, epochs=2,
           self_label_epochs=0, batch_size=64, **{**FRESH, "lr": 0.1, "encoder_lr": 0.01})
    # 0.01 + 0.495 (1 + cos(pi s / 8)) with cos(pi / 8) = 0.9238795, cos(pi / 4) = 0.7071068, cos(3 pi / 8) = 0.3826834
    factors = [1.0, 0.9623204, 0.8550179, 0.6944283, 0.505, 0.3155717, 0.1549821, 0.0476796]
    assert len(seen) == 8
    np.testing.assert_allclose([lr for lr, _ in seen], [0.1 * f for f in factors], rtol=3e-6)
    np.testing.assert_allclose([lr for _, lr in seen], [0.01 * f for f in factors], rtol=3e-6)  # the encoder's too
    for s in range(1, 8):  # the cosine is symmetric about the midpoint: f(s) + f(T - s) = 1.01
        assert seen[s][0] + seen[8 - s][0] == pytest.approx(0.101)


@pytest.mark.parametrize("kw,message", [
    (dict(freeze_encoder=True), r"freeze_encoder must be false \(--no-freeze\) for a fresh small_cnn"),
    (dict(neighbor_features="model"), "a fresh small_cnn's features are random"),
    (dict(neighbor_features="hog"), "neighbor_features must be one of"),
    (dict(lr_schedule="step"), "lr_schedule must be one of"),
])
def test_bad_fresh_options_are_one_error_before_writing(digits, tmp_path, kw, message):
    with pytest.raises(ConfigError, match=message):
        refine("small_cnn", digits.images, tmp_path / "bad", **{**FRESH, **kw})
    assert not (tmp_path / "bad").exists()


def test_unknown_model_name_says_did_you_mean(digits, tmp_path):
    with pytest.raises(ConfigError, match="small_cnn"):
        refine("smal_cnn", digits.images, tmp_path / "bad", **FRESH)
    (tmp_path / "folder").mkdir()
    with pytest.raises(ConfigError, match="model_kwargs only applies to a fresh model"):
        refine(tmp_path / "folder", digits.images, tmp_path / "bad", model_kwargs={"width": 8}, **FRESH)
    assert not (tmp_path / "bad").exists()


def test_few_optimizer_steps_are_one_warning_line(digits, tmp_path, capsys):
    """300 images, batch 256, 2 epochs: 2 x 2 = 4 steps, and the line says which epochs would make 200."""
    kw = dict(FRESH, augment="none", strong_augment="none", model_kwargs={"width": 8}, self_label_epochs=0)
    refine("small_cnn", digits.images[:300], tmp_path / "few", epochs=2, **{**kw, "progress": True})
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "optimizer steps" in ln]
    assert lines == ["refine: only 4 optimizer steps (300 images, batch 256, 2 epochs); SCAN needs about 200: set "
                     "refine.min_steps: 200, raise refine.epochs or lower refine.batch_size"]
    refine("small_cnn", digits.images[:300], tmp_path / "enough", epochs=2, batch_size=3, **{**kw, "progress": True})
    assert "optimizer steps" not in capsys.readouterr().err  # 2 x 100 steps


def test_min_steps_raises_the_scan_epochs(digits, tmp_path, capsys):
    """300 images in batches of 64 are 5 steps an epoch: min_steps 23 makes 5 epochs of SCAN (the self-label epochs
    follow), recorded in metrics.csv and model.json; a large enough epoch count is left alone."""
    kw = dict(FRESH, augment="none", strong_augment="none", model_kwargs={"width": 8}, batch_size=64)
    out = refine("small_cnn", digits.images[:300], tmp_path / "r", epochs=2, min_steps=23, self_label_epochs=1,
                 **{**kw, "progress": True})
    assert "refine: 2 epochs make 10 optimizer steps on 300 images; training 5 epochs (25 steps, refine.min_steps 23)" \
        in capsys.readouterr().err
    assert pd.read_csv(out / "metrics.csv")["phase"].tolist() == ["scan"] * 5 + ["self-label"]
    assert json.loads((out / "model.json").read_text())["refine"]["epochs"] == 5
    out = refine("small_cnn", digits.images[:300], tmp_path / "s", epochs=6, min_steps=23, self_label_epochs=0, **kw)
    assert len(pd.read_csv(out / "metrics.csv")) == 6
    with pytest.raises(ConfigError, match="refine.min_steps must be"):
        refine("small_cnn", digits.images[:300], tmp_path / "x", epochs=2, min_steps=-1, **kw)
