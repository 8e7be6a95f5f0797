"""kit.features.neighbors.knn against scikit-learn's exact search."""
import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from kit.errors import ConfigError
from kit.features.neighbors import knn


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(20, 16)) * 4
    return (centers[rng.integers(0, 20, 3000)] + rng.normal(size=(3000, 16))).astype(np.float32)


@pytest.mark.parametrize("metric", ["l2", "cosine"])
def test_exact_equals_sklearn(X, metric):
    idx, _ = knn(X, 10, metric=metric)
    ref = NearestNeighbors(n_neighbors=11, metric="euclidean" if metric == "l2" else "cosine").fit(X)
    expect = ref.kneighbors(X, return_distance=False)[:, 1:]
    assert (np.sort(idx, 1) == np.sort(expect, 1)).mean() > 0.999
    assert not (idx == np.arange(len(X))[:, None]).any()  # never the row itself


def test_duplicates_never_return_self(X):
    X = np.r_[X, X[:5]]
    idx, _ = knn(X, 3, metric="l2")
    assert not (idx == np.arange(len(X))[:, None]).any()
    assert idx[0, 0] == 3000 and idx[3000, 0] == 0


def test_ivf_recalls_most_true_neighbours(X):
    exact, _ = knn(X, 10, metric="l2", exact=True)
    approx, _ = knn(X, 10, metric="l2", exact=False)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx)])
    assert recall > 0.9


def test_bad_k(X):
    with pytest.raises(ConfigError, match="needs more than"):
        knn(X[:5], 5)
    with pytest.raises(ConfigError, match="positive integer"):
        knn(X, 0)


def test_ivf_never_returns_missing_ids():
    """1000 rows give 126 IVF lists of ~8 rows; 32 probed lists hold ~250 rows, fewer than k + 1 = 301, where faiss
    pads with id -1. Those rows are searched exactly: every id is a real other row and each returned distance is
    that row's true squared distance."""
    X = np.random.default_rng(0).normal(size=(1000, 8)).astype(np.float32)
    idx, dist = knn(X, 300, metric="l2", exact=False)
    n = len(X)
    assert ((idx >= 0) & (idx < n)).all()
    assert not (idx == np.arange(n)[:, None]).any()
    assert all(len(set(row)) == 300 for row in idx)
    true = ((X[:, None, :] - X[idx]) ** 2).sum(-1)
    np.testing.assert_allclose(dist, true, rtol=1e-4, atol=1e-4)
    assert (np.diff(dist, axis=1) >= -1e-4).all()  # nearest first


def test_ivf_on_fewer_rows_than_lists():
    """4 * sqrt(N) lists exceed N below 16 rows: the list count is capped, so the approximate path still works."""
    X = np.random.default_rng(1).normal(size=(10, 4)).astype(np.float32)
    approx, _ = knn(X, 3, metric="l2", exact=False)
    exact, _ = knn(X, 3, metric="l2", exact=True)
    np.testing.assert_array_equal(np.sort(approx, 1), np.sort(exact, 1))


def test_neighbors_stage_uses_refine_device(tmp_path, monkeypatch):
    """`kit run` hands refine.device to the neighbour mining (it encodes every image), not the default 'auto'."""
    import kit.refine
    from kit.pipeline import run_pipeline

    seen = {}

    class Stop(Exception):
        pass

    def fake_mine(model_dir, images, k, **kwargs):
        seen.update(kwargs, k=k, n=len(images))
        raise Stop

    monkeypatch.setattr(kit.refine, "mine_neighbors", fake_mine)
    monkeypatch.chdir(tmp_path)
    cfg = {"name": "nb", "seed": 0,
           "competition": {"dir": str(tmp_path / "comp"),
                           "make": {"source": {"kind": "digits"}, "type": "label", "public_fraction": 0.3}},
           "refine": {"model": "small_cnn", "freeze_encoder": False, "neighbor_features": "pixels", "k": 5,
                      "device": "cpu"},
           "reduce": [], "cluster": {"method": "argmax"}, "submit": {"leaderboard": False}}
    with pytest.raises(Stop):
        run_pipeline(cfg, runs_dir=tmp_path / "runs", leaderboard=False)
    assert seen["device"] == "cpu" and seen["k"] == 5 and seen["features"] == "pixels"
