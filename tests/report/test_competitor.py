"""The competitor's figures on fake run folders: confusion matrix, per-cluster samples, sizes, embedding panels,
leaderboard history; and that private solution rows never reach any of them."""
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix

from kit.metrics import cluster_accuracy
from kit.report import RunContext, build_report
from kit.report.figures import run_confusion, sample_picks
from kit.report.history import leaderboard_history
from kit.report.projection import describe_projection
from kit.report.reference import public_solution
from tests.report.conftest import N_CLASSES, fake_clusters, fake_competition, fake_run

NEW_FIGURES = ["confusion.png", "cluster_samples.png", "cluster_sizes.png", "embedding.png", "leaderboard.png"]


@pytest.fixture(scope="module")
def comp(tmp_path_factory):
    return fake_competition(tmp_path_factory.mktemp("fake") / "comp")


def direct_counts(ids, clusters, ref_ids, ref_labels):
    """counts[cluster, class] over the reference images, with np.add.at."""
    where = dict(zip(ids.tolist(), clusters.tolist()))
    c = np.array([where[i] for i in ref_ids])
    counts = np.zeros((clusters.max() + 1, N_CLASSES), dtype=np.int64)
    np.add.at(counts, (c, ref_labels), 1)
    return counts, c


def as_dense(cm):
    """The figure's matrix re-indexed to [cluster id, class]."""
    dense = np.zeros((cm.clusters.max() + 1, cm.classes.max() + 1), dtype=np.int64)
    dense[np.ix_(cm.clusters, cm.classes)] = cm.counts
    return dense


def test_confusion_counts_offline_use_public_rows(comp, tmp_path):
    run = fake_run(tmp_path / "run", comp)
    cm, ref = run_confusion(RunContext.load(run))
    pub = public_solution(comp / "hidden" / "solution.csv")
    sol = pd.read_csv(comp / "hidden" / "solution.csv")
    assert 0 < len(pub) < len(sol)  # there are private rows to leave out
    ids, clusters = fake_clusters(comp)
    expected, c = direct_counts(ids, clusters, pub["id"].tolist(), pub["label"].to_numpy())
    assert np.array_equal(as_dense(cm), expected[:, :cm.classes.max() + 1])
    assert np.array_equal(expected, confusion_matrix(c, pub["label"], labels=range(clusters.max() + 1))[:, :N_CLASSES])
    assert cm.counts.sum() == len(pub) and "public rows" in ref.source
    assert np.allclose(cm.row_normalised.sum(1), 1)
    # the mapping is one-to-one and optimal: its accuracy is the Hungarian-matched accuracy
    assert len(set(cm.mapping.values())) == len(cm.mapping) == N_CLASSES
    assert cm.accuracy == pytest.approx(cluster_accuracy(pub["label"], c))
    # rows are ordered so the mapped cells form the diagonal
    assert [cm.mapping[k] for k in cm.clusters[:N_CLASSES].tolist()] == cm.classes.tolist()
    assert cm.clusters[-1] not in cm.mapping  # the extra cluster 3 has no class left


def test_confusion_without_solution_uses_labeled_images(tmp_path):
    comp = fake_competition(tmp_path / "comp", labels_per_class=4)
    sol = pd.read_csv(comp / "hidden" / "solution.csv")
    (comp / "hidden" / "solution.csv").unlink()
    cm, ref = run_confusion(RunContext.load(fake_run(tmp_path / "run", comp)))
    lab = pd.read_csv(comp / "labeled.csv", dtype={"id": str})
    ids, clusters = fake_clusters(comp)
    expected, _ = direct_counts(ids, clusters, lab["id"].tolist(), lab["label"].to_numpy())
    assert ref.source == "labeled.csv" and cm.counts.sum() == len(lab) == 12
    assert np.array_equal(as_dense(cm), expected[:, :cm.classes.max() + 1])
    assert not set(lab["id"]) & set(sol["id"])  # labeled images are not solution rows


def test_private_rows_never_used(comp, tmp_path):
    """Wrong private labels must leave every figure's data, image and caption unchanged."""
    import shutil

    wrong = tmp_path / "comp_wrong"
    shutil.copytree(comp, wrong)
    sol = pd.read_csv(wrong / "hidden" / "solution.csv", dtype={"id": str})
    private = sol["Usage"] == "Private"
    sol.loc[private, "label"] = (sol.loc[private, "label"] + 1) % N_CLASSES
    sol.to_csv(wrong / "hidden" / "solution.csv", index=False)
    clusters = fake_clusters(comp)
    pages = {}
    for name, c in (("right", comp), ("wrong", wrong)):
        run = fake_run(tmp_path / name / "run", c, clusters)  # same run name: the pages may differ only by data
        cm, ref = run_confusion(RunContext.load(run))
        pages[name] = (cm, ref.labels_for(clusters[0]),
                       build_report([run], tmp_path / f"out_{name}", reveal_public=True).read_text())
    (cm_r, lab_r, page_r), (cm_w, lab_w, page_w) = pages["right"], pages["wrong"]
    assert np.array_equal(cm_r.counts, cm_w.counts) and cm_r.mapping == cm_w.mapping
    assert np.array_equal(lab_r, lab_w)
    assert (lab_r >= 0).sum() == (~private).sum()  # only public rows are known
    for fig in ("confusion.png", "cluster_samples.png", "embedding.png"):
        assert (tmp_path / "out_right" / fig).read_bytes() == (tmp_path / "out_wrong" / fig).read_bytes(), fig
    assert page_r == page_w


def test_samples_come_from_their_cluster(comp, tmp_path):
    ctx = RunContext.load(fake_run(tmp_path / "run", comp))
    picks, _ = sample_picks(ctx, seed=3, per_cluster=8)
    ids, clusters = fake_clusters(comp)
    cluster_of = dict(zip(ids.tolist(), clusters.tolist()))
    image_ids = ctx.comp.images.ids
    assert [c for c, _, _ in picks] == sorted(set(clusters.tolist()))
    for c, size, idx in picks:
        assert size == (clusters == c).sum()
        assert len(idx) == min(8, size) and len(set(idx.tolist())) == len(idx)
        assert all(cluster_of[image_ids[i]] == c for i in idx), c
    again, _ = sample_picks(ctx, seed=3, per_cluster=8)
    other, _ = sample_picks(ctx, seed=4, per_cluster=8)
    assert all(np.array_equal(a[2], b[2]) for a, b in zip(picks, again))  # seeded
    assert not all(np.array_equal(a[2], b[2]) for a, b in zip(picks, other))


def test_sample_grid_keeps_largest_clusters():
    from kit.report.samples import pick_samples

    clusters = np.repeat(np.arange(14), np.arange(1, 15))  # cluster k has k + 1 members
    picks = pick_samples(clusters, n_clusters=10, per_cluster=8)
    assert [c for c, _, _ in picks] == list(range(4, 14))
    assert all(len(idx) == min(8, c + 1) and (clusters[idx] == c).all() for c, _, idx in picks)


def test_page_has_new_figures_with_captions(comp, tmp_path):
    lb = tmp_path / "leaderboard.csv"
    pd.DataFrame({"file": ["a.csv", "b.csv"], "time": ["2026-01-01T10:00:00", "2026-01-02T10:00:00"],
                  "public": [0.5, 0.7], "private": [0.123456, 0.654321], "nmi": [0.1, 0.2], "ari": [0.1, 0.2]}
                 ).to_csv(lb, index=False)
    page = build_report([fake_run(tmp_path / "run", comp)], tmp_path / "out", leaderboards=[lb]).read_text()
    for fig in NEW_FIGURES:
        assert f"src='{fig}'" in page, fig
        assert (tmp_path / "out" / fig).stat().st_size > 5000, fig
    assert "PCA projection of the 5-D embedding" in page
    assert "balanced" in page and "Hungarian" in page
    caption = re.search(r"src='leaderboard.png'.*?<p class='caption'>([^<]*)<", page, re.S).group(1)
    assert "0.7000" in caption and "0.6543" not in caption and "0.1235" not in caption


def test_two_d_embedding_is_named_by_its_method(comp, tmp_path):
    steps = [{"method": "pca", "n_components": 5}, {"method": "tsne", "n_components": 2}]
    page = build_report([fake_run(tmp_path / "run", comp, embedding_dim=2, steps=steps)], tmp_path / "out").read_text()
    assert "t-SNE (the clustered embedding)" in page and "PCA projection" not in page


def test_describe_projection():
    assert describe_projection([{"method": "pca", "n_components": 64}], 64, True) == "PCA projection of the 64-D embedding"
    assert describe_projection([{"method": "standardize"}, {"method": "tsne"}, {"method": "l2norm"}], 2, False) \
        == "t-SNE (the clustered embedding)"
    assert describe_projection([], 2, False) == "the 2-D features (the clustered embedding)"
    assert describe_projection(None, 30, False) == "PCA projection of the 30-D embedding"


def test_leaderboard_history_never_reads_private(tmp_path):
    lb = tmp_path / "lb.csv"
    pd.DataFrame({"file": ["submissions/x.csv", "submissions/y.csv", "z.csv"],
                  "time": ["2026-01-03T00:00:00", "2026-01-01T00:00:00", "not a time"],
                  "public": [0.4, 0.6, 0.9], "private": [0.1, 0.2, 0.3], "config": ["x", None, "z"]}).to_csv(lb, index=False)
    df = leaderboard_history([lb])
    assert list(df.columns) == ["time", "entry", "public"]
    assert df["entry"].tolist() == ["y", "x"] and df["public"].tolist() == [0.6, 0.4]  # by time; untimed dropped
