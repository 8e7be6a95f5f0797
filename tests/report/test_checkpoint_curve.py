"""Checkpoint curve: every pretrain checkpoint through the run's configured reduce + cluster, on a real tiny run."""
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from kit.pipeline import run_pipeline
from kit.report import RunContext, Skip, build_report
from kit.report.checkpoint_curve import checkpoint_scores, validation_set
from tests.report.conftest import clone_run, copy_competition

EPOCHS = 3


def digits_config(base):
    """Like configs/experiments/digits_latent_dim.yaml, small: 20 labeled images per class, 3 epochs."""
    return {
        "name": "ckpt",
        "seed": 0,
        "competition": {"dir": str(base / "comp"),
                        "make": {"source": {"kind": "digits"}, "type": "label", "public_fraction": 0.3,
                                 "labels_per_class": 20}},
        "pretrain": {"model": "mlp_ae", "model_kwargs": {"latent_dim": 16}, "objective": "reconstruction",
                     "epochs": EPOCHS, "batch_size": 128, "lr": 0.002, "checkpoint_keep_every": 1},
        "reduce": [{"method": "pca", "n_components": 5}],
        "cluster": {"method": "kmeans", "n_clusters": 10},
        "submit": {"leaderboard": False, "copy_to": None},
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """(base folder holding comp/ and runs/, run folder)."""
    base = tmp_path_factory.mktemp("ckpt_run")
    return base, run_pipeline(digits_config(base), runs_dir=base / "runs")["run_dir"]


def test_one_row_per_checkpoint_with_logged_train_mse(run):
    _, run_dir = run
    ctx = RunContext.load(run_dir)
    df = checkpoint_scores(ctx)
    assert df["epoch"].tolist() == list(range(1, EPOCHS + 1))
    metrics = pd.read_csv(ctx.model_dir / "metrics.csv")
    assert np.array_equal(df["train_mse"].to_numpy(), metrics["train_mse"].to_numpy())
    assert df["acc"].between(0, 1).all() and df["nmi"].between(0, 1).all()
    assert df["acc"].iloc[-1] > 0.3  # far above chance (0.1) on learned digits codes
    assert df.attrs["source"] == "labeled.csv" and df.attrs["n_images"] == 200  # every labeled image
    assert sorted(df.attrs["ids"].tolist()) == sorted(ctx.comp.labeled.ids.astype(str).tolist())
    assert df.attrs["pipeline"] == "pca5 -> kmeans (k=10)"


def test_last_checkpoint_matches_a_direct_computation(run):
    """The final model through sklearn PCA + the KMeans that kit's kmeans wraps, on the same sampled images."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    from kit.metrics import cluster_accuracy
    from kit.models import load_model
    from kit.train.loop import to_tensor

    _, run_dir = run
    ctx = RunContext.load(run_dir)
    df = checkpoint_scores(ctx, max_images=150, seed=3)
    val = validation_set(ctx, max_images=150, seed=3)
    assert len(val.ids) == 150 and val.ids.tolist() == df.attrs["ids"].tolist()
    where = {i: n for n, i in enumerate(ctx.comp.images.ids.astype(str).tolist())}
    rows = [where[i] for i in val.ids.tolist()]
    labels = pd.read_csv(ctx.comp.dir / "labeled.csv", dtype={"id": str}).set_index("id")["label"]
    y = labels.loc[val.ids].to_numpy()
    assert np.array_equal(y, val.labels)

    model = load_model(ctx.model_dir)
    with torch.no_grad():
        z = model.encode(to_tensor(ctx.comp.images.images[rows])).flatten(1).numpy()
    seed = ctx.stage_config("reduce")["seed"]
    emb = PCA(5, random_state=seed).fit_transform(z.astype(np.float64)).astype(np.float32)
    pred = KMeans(10, n_init=10, max_iter=300, tol=1e-4,
                  random_state=ctx.stage_config("cluster")["seed"]).fit_predict(emb.astype(np.float64))
    assert abs(df["acc"].iloc[-1] - cluster_accuracy(y, pred)) < 1e-9


def test_sampling_is_seeded(run):
    _, run_dir = run
    ctx = RunContext.load(run_dir)
    a, b, c = (validation_set(ctx, 50, s).ids.tolist() for s in (0, 0, 1))
    assert a == b and a != c and len(set(a)) == 50


def test_without_labeled_images_uses_public_solution_rows(run, tmp_path):
    base, run_dir = run
    comp = copy_competition(base / "comp", tmp_path / "comp")
    (comp / "labeled.csv").unlink()
    ctx = RunContext.load(clone_run(run_dir, tmp_path / "runs" / "nolabeled", competition=comp))
    val = validation_set(ctx, max_images=100)
    assert "public rows" in val.source and len(val.ids) == 100
    ref = ctx.reference()
    assert (ref.labels_for(val.ids) == val.labels).all() and set(val.ids) <= set(ref.ids.tolist())


def test_skips_with_reasons(run, tmp_path):
    base, run_dir = run
    comp = copy_competition(base / "comp", tmp_path / "comp", with_solution=False)
    (comp / "labeled.csv").unlink()
    with pytest.raises(Skip, match="no labels"):
        checkpoint_scores(RunContext.load(clone_run(run_dir, tmp_path / "r1", competition=comp)))
    with pytest.raises(Skip, match="no pretrain stage"):
        checkpoint_scores(RunContext.load(clone_run(run_dir, tmp_path / "r2", pretrain=None)))
    with pytest.raises(Skip, match="no cluster stage"):
        checkpoint_scores(RunContext.load(clone_run(run_dir, tmp_path / "r3", cluster=None)))
    model = RunContext.load(run_dir).model_dir
    bare = tmp_path / "model"
    bare.mkdir()
    for name in ("model.json", "model.pt", "metrics.csv"):
        shutil.copy(model / name, bare / name)
    with pytest.raises(Skip, match="no epoch_"):
        checkpoint_scores(RunContext.load(clone_run(run_dir, tmp_path / "r4", pretrain=bare)))
    with pytest.raises(Skip, match="cannot run on the 5 validation images.*5 points for 10 clusters"):
        checkpoint_scores(RunContext.load(run_dir), max_images=5)


def test_build_report_draws_it(run, tmp_path):
    _, run_dir = run
    page = build_report([run_dir], tmp_path / "out")
    text = page.read_text()
    assert "src='checkpoint_curve.png'" in text
    assert (tmp_path / "out" / "checkpoint_curve.png").stat().st_size > 5000
    assert "pca5 -&gt; kmeans (k=10)" in text or "pca5 -> kmeans (k=10)" in text
    assert "200 validation images (labels from labeled.csv)" in text
    assert text.index("src='curve.png'") < text.index("src='checkpoint_curve.png'") < text.index("src='interpolation.png'")
