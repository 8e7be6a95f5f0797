"""refine on sklearn digits: beats K-Means on the same features, uses labels, resumes, rejects bad input."""
import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans

from kit.errors import ConfigError, Interrupted
from kit.metrics import cluster_accuracy
from kit.models import load_model
from kit.refine import refine
from kit.train.inference import batched
from tests.interrupts import crash_after_epoch

FAST = dict(augment="none", strong_augment="none", progress=False)  # frozen encoder on cached features


def probs(out):
    return np.load(out / "probabilities.npz")["probabilities"]


def test_refine_beats_kmeans_on_the_same_features(digits, ae, tmp_path):
    z = batched(load_model(ae).encode, digits.images, "cpu")
    kmeans = cluster_accuracy(digits.labels, KMeans(10, n_init=10, random_state=0).fit_predict(z))
    out = refine(ae, digits.images, tmp_path / "r", n_clusters=10, seed=1, **FAST)
    acc = cluster_accuracy(digits.labels, probs(out).argmax(1))
    assert acc > kmeans + 0.03 and acc > 0.8
    # the model folder gives the same class scores as probabilities.npz (extract kind logits + argmax)
    logits = batched(load_model(out), digits.images, "cpu")
    assert np.array_equal(logits.argmax(1), probs(out).argmax(1))
    metrics = pd.read_csv(out / "metrics.csv")
    assert list(metrics["phase"].unique()) == ["scan", "self-label"]


@pytest.mark.parametrize("mode", ["semi", "auto"])  # auto: scan with the labels in its loss
def test_labeled_modes_predict_the_given_labels(digits, ae, tmp_path, mode):
    rng = np.random.default_rng(0)
    index = np.concatenate([rng.choice(np.flatnonzero(digits.labels == c), 5, replace=False) for c in range(10)])
    out = refine(ae, digits.images, tmp_path / "s", labeled_index=index, labeled_labels=digits.labels[index],
                 epochs=40, self_label_epochs=0, mode=mode, **FAST)
    pred = probs(out).argmax(1)
    assert (pred[index] == digits.labels[index]).mean() >= 0.95
    assert (pred == digits.labels).mean() > 0.7  # plain accuracy: outputs are class indices, no mapping
    assert load_model(out).n_classes == 10


def test_interrupted_refine_resumes_to_the_same_result(digits, ae, tmp_path, monkeypatch):
    import kit.refine.train as mod

    kw = dict(n_clusters=10, epochs=6, self_label_epochs=3, seed=4, **FAST)
    full = refine(ae, digits.images, tmp_path / "full", **kw)
    with monkeypatch.context() as m:
        crash_after_epoch(m, mod, 5)
        with pytest.raises(Interrupted, match="resume from epoch 6"):
            refine(ae, digits.images, tmp_path / "cut", **kw)
    assert not (tmp_path / "cut" / "model.pt").exists()
    cut = refine(ae, digits.images, tmp_path / "cut", resume=True, **kw)
    assert np.array_equal(probs(full), probs(cut))
    assert pd.read_csv(cut / "metrics.csv")["epoch"].tolist() == list(range(1, 10))


@pytest.mark.parametrize("kw,message", [
    (dict(k=5000), "k=5000 must be smaller than the number of images"),
    (dict(mode="semi"), "mode semi needs labeled images"),
    (dict(n_clusters=3, labeled_index=np.arange(10), labeled_labels=np.arange(10)), "n_clusters=3 disagrees"),
    (dict(n_clusters=1), "n_clusters must be >= 2"),
    (dict(epochs=0), "epochs must be >= 1"),
    (dict(confidence=1.5), "confidence must be in"),
    (dict(mode="magic"), "mode must be one of"),
])
def test_bad_input_is_one_error_before_writing(digits, ae, tmp_path, kw, message):
    kw = {"n_clusters": 10, **FAST, **kw}
    with pytest.raises(ConfigError, match=message):
        refine(ae, digits.images, tmp_path / "bad", **kw)
    assert not (tmp_path / "bad").exists()


def test_not_a_model_folder(digits, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="not a kit model folder"):
        refine(tmp_path / "empty", digits.images, tmp_path / "out", n_clusters=10, **FAST)
    assert not (tmp_path / "out").exists()


def test_batch_of_one_image_is_refused_and_a_failed_run_leaves_no_folder(digits, ae, tmp_path):
    """batch_size 1 would put every image in a batch of its own, which the heads' BatchNorm cannot train on."""
    with pytest.raises(ConfigError, match=r"refine.batch_size must be (an integer )?>= 2"):
        refine(ae, digits.images[:60], tmp_path / "r", n_clusters=10, k=5, epochs=1, self_label_epochs=0,
               batch_size=1, **FAST)
    assert not (tmp_path / "r").exists()
    out = refine(ae, digits.images[:61], tmp_path / "r", n_clusters=10, k=5, epochs=1, self_label_epochs=0,
                 batch_size=30, device="cpu", **FAST)  # 61 = 2 x 30 + 1: the one-image batch is skipped
    assert (out / "model.pt").exists()
