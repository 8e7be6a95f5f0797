"""Three tiny real digits runs shared by the report tests: two autoencoders (latent 8 and 16) and raw pixels."""
import json
import shutil

import pytest

from kit.pipeline import run_pipeline


def config(tmp_path, name, latent_dim=None):
    cfg = {"name": name,
           "competition": {"dir": str(tmp_path / "comp"), "make": {"source": {"kind": "digits"}, "labels_per_class": 3}},
           "reduce": [{"method": "pca", "n_components": 5}], "cluster": {"method": "kmeans", "n_clusters": 10},
           "submit": {"leaderboard": False, "copy_to": None}}
    if latent_dim:
        cfg["pretrain"] = {"model": "mlp_ae", "model_kwargs": {"latent_dim": latent_dim}, "epochs": 3,
                           "checkpoint_keep_every": 1}  # the checkpoint curve reads one per epoch
    return cfg


@pytest.fixture(autouse=True)
def _away_from_repo(tmp_path, monkeypatch):
    """Run from an empty folder: the report must not pick up the checkout's submissions/leaderboard.csv."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """(base, [run_a, run_b, run_raw]); base holds comp/ and runs/."""
    tmp = tmp_path_factory.mktemp("report_runs")
    dirs = [run_pipeline(config(tmp, n, d), runs_dir=tmp / "runs")["run_dir"]
            for n, d in (("a", 8), ("b", 16), ("raw", None))]
    return tmp, dirs


def clone_run(run_dir, dest, **changes):
    """A copy of run_dir's stages.json in a new run folder, with some stage paths replaced."""
    dest.mkdir(parents=True, exist_ok=True)
    stages = json.loads((run_dir / "stages.json").read_text())
    stages.update({k: (str(v) if v is not None else None) for k, v in changes.items()})
    (dest / "stages.json").write_text(json.dumps(stages))
    return dest


def copy_competition(comp_dir, dest, with_solution=True):
    shutil.copytree(comp_dir, dest, ignore=None if with_solution else shutil.ignore_patterns("hidden"))
    return dest


# ---- fake run folders: written directly, no training ------------------------------------------------------------

N_CLASSES, PER_CLASS = 3, 20


def fake_competition(dest, labels_per_class=2, seed=0):
    """A 3-class competition of 60 8x8 images; each image's brightness encodes its class (bright = class 2)."""
    import numpy as np

    from kit.competition.make import make_competition
    from kit.data.imageset import ImageSet

    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(N_CLASSES), PER_CLASS)
    images = (rng.integers(0, 40, (len(labels), 8, 8, 1)) + 90 * labels[:, None, None, None]).astype(np.uint8)
    source = ImageSet(ids=[f"s{i}" for i in range(len(labels))], images=images, labels=labels,
                      class_names=["ant", "bee", "cat"])
    return make_competition(source, dest, labels_per_class=labels_per_class, public_fraction=0.4, seed=seed)


def fake_clusters(comp_dir, seed=0):
    """(ids, clusters): 4 clusters, mostly class + 1 mod 3, with 20% random noise and cluster 3 as a small extra."""
    import numpy as np

    from kit.data.imageset import ImageSet

    images = ImageSet.load(comp_dir / "images.npz")
    truth = np.array([int(img.mean() // 90) for img in images.images])  # brightness -> class (see fake_competition)
    rng = np.random.default_rng(seed)
    clusters = (truth + 1) % N_CLASSES
    noisy = rng.random(len(truth)) < 0.2
    clusters[noisy] = rng.integers(0, N_CLASSES + 1, noisy.sum())
    return images.ids, clusters


def fake_run(dest, comp_dir, clusters=None, embedding_dim=5, steps=None, model_dir=None, seed=0):
    """A run folder as `kit run` leaves it: competition, reduce, cluster and submit stages (pretrain optional)."""
    import numpy as np
    import pandas as pd

    from kit.features.files import save_clusters, save_features

    ids, cl = clusters if clusters is not None else fake_clusters(comp_dir, seed)
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(len(ids), embedding_dim)) + cl[:, None]
    steps = steps if steps is not None else [{"method": "pca", "n_components": embedding_dim}]
    stage = {}
    for name, cfg in (("reduce", {"seed": seed, "steps": steps}), ("cluster", {"seed": seed, "method": "kmeans"}),
                      ("submit", {})):
        stage[name] = dest / f"{name}-fake"
        stage[name].mkdir(parents=True, exist_ok=True)
        (stage[name] / "stage.json").write_text(json.dumps({"stage": name, "config": cfg}))
    save_features(stage["reduce"] / "embedding.npz", ids, emb)
    if embedding_dim != 2:
        save_features(stage["reduce"] / "embedding_2d.npz", ids, emb[:, :2])
    save_clusters(stage["cluster"] / "clusters.npz", ids, cl)
    sample = pd.read_csv(comp_dir / "sample_submission.csv", dtype={"id": str})
    where = dict(zip(ids.tolist(), cl.tolist()))
    sample.assign(label=[where[i] % N_CLASSES for i in sample["id"]]).to_csv(stage["submit"] / "submission.csv", index=False)
    stages = {"competition": str(comp_dir), "pretrain": str(model_dir) if model_dir else None, "finetune": None,
              "extract": None, **{k: str(v) for k, v in stage.items()}}
    (dest / "stages.json").write_text(json.dumps(stages))
    return dest
