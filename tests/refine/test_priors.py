"""refine.entropy_prior: estimated cluster sizes for SCAN's entropy term (kit.refine.priors), for imbalanced classes."""
import numpy as np
import pytest

from kit.cluster.scan import size_profile
from kit.errors import ConfigError, Interrupted
from kit.features.descriptors import dense_sift
from kit.metrics import cluster_accuracy
from kit.refine import refine
from kit.refine.priors import estimated_profile, prior_warmup
from tests.interrupts import crash_after_epoch

FRESH = dict(neighbor_features="dsift", freeze_encoder=False, augment="none", strong_augment="none", head_hidden=0,
             lr=1e-3, encoder_lr=1e-3, lr_schedule="cosine", n_clusters=10, progress=False, k=20, n_heads=3,
             self_label_epochs=0)


def probs(out):
    return np.load(out / "probabilities.npz")["probabilities"]


@pytest.fixture(scope="module")
def imbalanced(digits):
    """Digits whose class sizes fall 10:1 from class 0 to class 9 (178 ... 17 images)."""
    sizes = np.round(178 * 10 ** (-np.arange(10) / 9)).astype(int)
    rows = np.concatenate([np.flatnonzero(digits.labels == c)[:n] for c, n in enumerate(sizes)])
    return digits.images[rows], digits.labels[rows]


def test_estimated_profile_is_kmeans_shares_of_the_features():
    """Oracle: the shares of sklearn's K-Means on the same L2-normalised rows, sorted, floored at 0.1 / K."""
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 8)) * 10
    X = np.concatenate([c + rng.normal(size=(n, 8)) for c, n in zip(centres, (600, 300, 100))]).astype(np.float32)
    got = estimated_profile(X, 3, seed=0).numpy()
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    want = np.sort(np.bincount(KMeans(3, n_init=10, random_state=0).fit_predict(Xn), minlength=3))[::-1] / len(X)
    np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_allclose(got, [0.6, 0.3, 0.1], atol=0.01)
    np.testing.assert_allclose(size_profile(Xn, 3, 0).numpy(), got, atol=1e-6)


def test_priors_reach_the_loss_after_the_warmup(imbalanced, tmp_path, monkeypatch):
    """Before the warmup every head gets None (equal sizes); after it, each head's prior is the dense-SIFT K-Means
    profile in some order, and with uniform no prior is ever given."""
    import kit.refine.phases as phases

    images, _ = imbalanced
    seen = []
    real = phases.scan_loss

    def spy(la, ln, w, prior=None):
        seen.append(None if prior is None else prior.detach().cpu().numpy().copy())
        return real(la, ln, w, prior)

    monkeypatch.setattr(phases, "scan_loss", spy)
    kw = dict(FRESH, model_kwargs={"width": 8}, epochs=3, batch_size=256, seed=0)
    refine("small_cnn", images, tmp_path / "e", entropy_prior="estimated", **kw)
    steps = len(seen) // 3  # per epoch: steps x 3 heads
    profile = estimated_profile(dense_sift(images), 10, 0).numpy()
    assert prior_warmup(3) == 1
    assert all(p is None for p in seen[:steps])
    after = seen[steps:]
    assert after and all(p is not None for p in after)
    for p in after:
        np.testing.assert_allclose(np.sort(p)[::-1], profile, atol=1e-6)
    assert profile[0] > 2 * profile[-1]  # the profile is not uniform, so the check above has teeth
    seen.clear()
    refine("small_cnn", images, tmp_path / "u", **kw)
    assert seen and all(p is None for p in seen)


def test_estimated_prior_lets_clusters_follow_imbalanced_classes(imbalanced, tmp_path):
    """The prior moves the clusters' sizes towards the classes' sizes. Accuracy is the bench's question: on 729
    images one seed's accuracy flips between CPUs (CI: 0.595 vs 0.613), so it is not asserted here."""
    images, labels = imbalanced
    kw = dict(FRESH, epochs=25, seed=0)
    truth = np.sort(np.bincount(labels, minlength=10))[::-1] / len(labels)
    res = {}
    for prior in ("uniform", "estimated"):
        p = probs(refine("small_cnn", images, tmp_path / prior, entropy_prior=prior, **kw)).argmax(1)
        shares = np.sort(np.bincount(p, minlength=10))[::-1] / len(p)
        res[prior] = (shares[0], np.abs(shares - truth).sum(), cluster_accuracy(labels, p))
    # true largest share 0.247; equal sizes would give 0.1 and an L1 gap of 0.52 to the true profile
    assert res["estimated"][0] > res["uniform"][0] + 0.05, res
    assert res["estimated"][1] < res["uniform"][1] - 0.1, res


def test_resume_with_estimated_prior_replays_the_run(imbalanced, tmp_path, monkeypatch):
    import kit.refine.train as mod

    images, _ = imbalanced
    kw = dict(FRESH, model_kwargs={"width": 8}, epochs=3, batch_size=128, seed=3, entropy_prior="estimated")
    full = refine("small_cnn", images, tmp_path / "full", **kw)
    with monkeypatch.context() as m:
        crash_after_epoch(m, mod, 2)
        with pytest.raises(Interrupted):
            refine("small_cnn", images, tmp_path / "cut", **kw)
    np.testing.assert_array_equal(probs(full), probs(refine("small_cnn", images, tmp_path / "cut", resume=True, **kw)))


def test_unknown_prior_is_one_error(imbalanced, tmp_path):
    with pytest.raises(ConfigError, match="entropy_prior"):
        refine("small_cnn", imbalanced[0], tmp_path / "x", entropy_prior="learned", **dict(FRESH, epochs=1))
    assert not (tmp_path / "x").exists()
