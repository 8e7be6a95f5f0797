"""Neighbour smoothing: the stated recurrence, the neighbours it reads (mined file or the features' own), and the
cluster stage and CLI that apply it."""
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors
from typer.testing import CliRunner

import kit.cli.cluster  # noqa: F401  (registers the command)
from kit.cli.app import app
from kit.cluster.smoothing import mined_neighbours, smooth_probabilities
from kit.errors import ConfigError, DataError
from kit.features.files import load_clusters, save_features
from kit.io import write_npz
from kit.pipeline.stages import cluster_stage


def recurrence(P, nb, alpha, steps=3):
    """Written out row by row, as the docstring states it."""
    Q = P.copy()
    for _ in range(steps):
        new = np.empty_like(P)
        for i in range(len(P)):
            new[i] = (1 - alpha) * P[i] + alpha * sum(Q[j] for j in nb[i]) / len(nb[i])
        Q = new
    return Q


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return PCA(32, random_state=0).fit_transform(d.data / 16.0).astype(np.float32), d.target


def test_recurrence_matches_the_row_by_row_oracle():
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(4), 30)
    nb = np.array([rng.choice(np.delete(np.arange(30), i), 5, replace=False) for i in range(30)])
    np.testing.assert_allclose(smooth_probabilities(P, nb, 0.7), recurrence(P, nb, 0.7), rtol=1e-12)
    np.testing.assert_allclose(smooth_probabilities(P, nb, 0.7).sum(1), 1)
    with pytest.raises(ConfigError, match="smooth_alpha"):
        smooth_probabilities(P, nb, 0.0)


def test_mined_neighbours_follow_the_ids_not_the_row_order(tmp_path):
    ids = np.array([f"i{n}" for n in range(6)])
    nb = np.array([[1, 2], [0, 2], [0, 1], [4, 5], [3, 5], [3, 4]])
    perm = np.array([3, 0, 5, 1, 4, 2])  # the file lists the images in another order
    inv = np.argsort(perm)
    write_npz(tmp_path / "nb.npz", ids=ids[perm], indices=inv[nb[perm]])
    np.testing.assert_array_equal(mined_neighbours(tmp_path / "nb.npz", ids, 2), nb)
    np.testing.assert_array_equal(mined_neighbours(tmp_path / "nb.npz", ids, 1), nb[:, :1])
    with pytest.raises(ConfigError, match="holds 2 neighbours"):
        mined_neighbours(tmp_path / "nb.npz", ids, 3)
    with pytest.raises(DataError, match="not the clustered images"):
        mined_neighbours(tmp_path / "nb.npz", np.array([f"x{n}" for n in range(6)]), 2)


def _logits(digits):
    """Class logits of a probe trained on 5 labels per class: far from perfect, so neighbours can fix some."""
    X, y = digits
    rng = np.random.default_rng(0)
    rows = np.concatenate([rng.choice(np.flatnonzero(y == c), 5, replace=False) for c in range(10)])
    P = LogisticRegression(max_iter=1000, random_state=0).fit(X[rows], y[rows]).predict_proba(X)
    return np.log(P), P


def test_stage_smooths_over_the_features_exact_cosine_neighbours(digits, tmp_path):
    """Oracle: sklearn NearestNeighbors (cosine, the row itself dropped) and the recurrence written out."""
    logits, P = _logits(digits)
    ids = np.array([str(i) for i in range(len(P))])
    save_features(tmp_path / "emb.npz", ids, logits.astype(np.float32))
    path = cluster_stage(None, tmp_path / "emb.npz", {"method": "argmax"}, 0, tmp_path, out_name="c.npz",
                         smooth_k=5, smooth_alpha=0.6)
    nb = NearestNeighbors(n_neighbors=6, metric="cosine").fit(logits).kneighbors(logits, return_distance=False)[:, 1:]
    Q = recurrence(P, nb, 0.6)
    got = load_clusters(path)
    assert (got["clusters"] == Q.argmax(1)).mean() > 0.995  # ties in the 5th-neighbour distance: a handful of rows
    np.testing.assert_allclose(got["probabilities"].sum(1), 1, rtol=1e-5)
    assert (got["clusters"] != P.argmax(1)).sum() > 5  # the smoothing changed something


def test_stage_smooths_over_a_neighbours_file_and_it_helps_with_good_neighbours(digits, tmp_path):
    """Neighbours from the true classes (a perfect descriptor): the smoothed classes must be the recurrence over
    exactly those rows, and more accurate than the plain argmax."""
    X, y = digits
    logits, P = _logits(digits)
    rng = np.random.default_rng(1)
    nb = np.array([rng.choice(np.setdiff1d(np.flatnonzero(y == y[i]), [i]), 4, replace=False) for i in range(len(y))])
    ids = np.array([f"img{i}" for i in range(len(P))])
    save_features(tmp_path / "emb.npz", ids, logits.astype(np.float32))
    write_npz(tmp_path / "neighbors.npz", ids=ids, indices=nb)
    path = cluster_stage(None, tmp_path / "emb.npz", {"method": "argmax"}, 0, tmp_path, out_name="c.npz",
                         smooth_k=3, smooth_alpha=0.8, neighbors=tmp_path / "neighbors.npz")
    got = load_clusters(path)
    Q = recurrence(P, nb[:, :3], 0.8)
    np.testing.assert_array_equal(got["clusters"], Q.argmax(1))
    np.testing.assert_allclose(got["probabilities"], Q, rtol=1e-5)
    assert (got["clusters"] == y).mean() > (P.argmax(1) == y).mean() + 0.02


def test_kmeans_clusters_vote_as_one_hot(digits, tmp_path):
    X, _ = digits
    ids = np.array([str(i) for i in range(len(X))])
    save_features(tmp_path / "emb.npz", ids, X)
    plain = load_clusters(cluster_stage(None, tmp_path / "emb.npz", {"method": "kmeans", "n_clusters": 10,
                                                                    "n_init": 1}, 0, tmp_path, out_name="a.npz"))
    nb = NearestNeighbors(n_neighbors=8, metric="cosine").fit(X).kneighbors(X, return_distance=False)[:, 1:]
    onehot = np.eye(10)[plain["clusters"]]
    want = recurrence(onehot, nb, 0.8).argmax(1)
    got = load_clusters(cluster_stage(None, tmp_path / "emb.npz", {"method": "kmeans", "n_clusters": 10,
                                                                  "n_init": 1}, 0, tmp_path, out_name="b.npz",
                                      smooth_k=7))
    assert (got["clusters"] == want).mean() > 0.995
    assert "probabilities" not in got


def test_cli_smoothing_options_and_their_errors(digits, tmp_path):
    logits, P = _logits(digits)
    ids = np.array([str(i) for i in range(len(P))])
    save_features(tmp_path / "emb.npz", ids, logits.astype(np.float32))
    write_npz(tmp_path / "nb.npz", ids=ids, indices=np.tile(np.arange(1, 4), (len(ids), 1)))
    run = CliRunner().invoke
    out = tmp_path / "c.npz"
    want = recurrence(P, np.tile(np.arange(1, 3), (len(ids), 1)), 0.8).argmax(1)
    for flag in ("--neighbors-file", "--neighbors"):  # the second: the deprecated spelling, with its line
        ok = run(app, ["cluster", str(tmp_path / "emb.npz"), "-m", "argmax", "--smooth-k", "2", flag,
                       str(tmp_path / "nb.npz"), "-o", str(out)])
        assert ok.exit_code == 0, ok.output
        assert ("deprecated" in ok.output) == (flag == "--neighbors"), ok.output
        np.testing.assert_array_equal(load_clusters(out)["clusters"], want)
    for args, msg in ([["--neighbors-file", str(tmp_path / "nb.npz")], "only read with --smooth-k"],
                      [["--smooth-k", "5", "--neighbors-file", str(tmp_path / "nb.npz")], "holds 3 neighbours"],
                      [["--smooth-k", "2", "--smooth-alpha", "1.5"], "smooth_alpha"]):
        bad = tmp_path / "bad.npz"
        r = run(app, ["cluster", str(tmp_path / "emb.npz"), "-m", "argmax", *args, "-o", str(bad)])
        # a KitError, which kit's entry point prints as one line with exit 2 (tests/cli/test_main_cli.py)
        assert isinstance(r.exception, (ConfigError, DataError)) or r.exit_code == 2, (args, r.output)
        assert msg in str(r.exception) + r.output and not bad.exists(), (args, r.output)


def test_config_checks_smoothing_at_load():
    from kit.config import validate_config

    base = {"name": "x", "competition": {"dir": "c"}, "cluster": {"method": "kmeans", "n_clusters": 3}}
    for bad, msg in (({"smooth_k": -1}, "cluster.smooth_k"), ({"smooth_k": 2.5}, "cluster.smooth_k"),
                     ({"smooth_alpha": 0}, "cluster.smooth_alpha")):
        with pytest.raises(ConfigError, match=msg):
            validate_config({**base, "cluster": {**base["cluster"], **bad}})


def test_a_neighbours_file_that_does_not_fit_fails_before_clustering(digits, tmp_path, monkeypatch):
    """The file is read and checked first: a wrong one costs no clustering (before, it failed after the fit)."""
    import kit.cluster

    logits, P = _logits(digits)
    ids = np.array([str(i) for i in range(len(P))])
    save_features(tmp_path / "emb.npz", ids, logits.astype(np.float32))
    write_npz(tmp_path / "nb.npz", ids=ids, indices=np.tile(np.arange(1, 4), (len(ids), 1)))
    write_npz(tmp_path / "other.npz", ids=ids[::-1][:-1], indices=np.tile(np.arange(1, 4), (len(ids) - 1, 1)))
    fits = []
    real = kit.cluster.fit_clusterer
    monkeypatch.setattr(kit.cluster, "fit_clusterer", lambda *a, **k: fits.append(1) or real(*a, **k))
    for nb, k, msg in (("nb.npz", 5, "holds 3 neighbours"), ("other.npz", 2, "are not the clustered images'")):
        with pytest.raises((ConfigError, DataError), match=msg):
            cluster_stage(None, tmp_path / "emb.npz", {"method": "argmax"}, 0, tmp_path, out_name="c.npz",
                          smooth_k=k, neighbors=tmp_path / nb)
    assert fits == [] and not (tmp_path / "c.npz").exists()
    cluster_stage(None, tmp_path / "emb.npz", {"method": "argmax"}, 0, tmp_path, out_name="c.npz", smooth_k=2,
                  neighbors=tmp_path / "nb.npz")
    assert fits == [1]
