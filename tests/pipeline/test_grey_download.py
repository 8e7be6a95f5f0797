"""The default (Fashion-MNIST) recipe end to end on a Kaggle-style download of grey images, with and without a
train.csv: `kit run configs/fashion_mnist.yaml competition.dir=DOWNLOAD` (the README's line for digit-like and
clothing competitions). The download answers in its own column names (ImageId,Label)."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from kit.data import load_source
from kit.paths import FASHION_MNIST_DIR
from kit.metrics import cluster_accuracy
from tests.cli_main import kit_main

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (1, 7, 8)  # trouser, sneaker, bag: the download calls them 0, 1, 2
CLASSES = (0, 1, 2)
PER_CLASS = 60
pytestmark = pytest.mark.skipif(not (FASHION_MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists(),
                                reason="dataset-fashion-mnist not installed")


def download(tmp_path, labeled_per_class: int = 0) -> tuple[Path, dict]:
    """test/ with 60 Fashion-MNIST test images of each of 3 classes as grey PNGs (shuffled ids), sample_submission.csv
    with the header ImageId,Label; with labels, train/ + train.csv. Returns (folder, true class of each test id)."""
    d, src = tmp_path / "dl", load_source({"kind": "fashion_mnist", "split": "test"})
    images, labels = src.images[..., 0], src.labels
    order = np.random.default_rng(0).permutation(PER_CLASS * len(CLASSES))
    truth, rows = {}, []
    for c, cls in enumerate(CLASSES):
        idx = np.flatnonzero(labels == SOURCE[c])
        for n, i in enumerate(idx[:PER_CLASS]):
            ident = f"{order[c * PER_CLASS + n]:03d}.png"
            (d / "test").mkdir(parents=True, exist_ok=True)
            Image.fromarray(images[i]).save(d / "test" / ident)
            truth[ident] = cls
        for n, i in enumerate(idx[PER_CLASS:PER_CLASS + labeled_per_class]):
            (d / "train").mkdir(exist_ok=True)
            Image.fromarray(images[i]).save(d / "train" / f"t{cls}_{n}.png")
            rows.append((f"t{cls}_{n}.png", cls))
    pd.DataFrame({"ImageId": sorted(truth), "Label": CLASSES[0]}).to_csv(d / "sample_submission.csv", index=False)
    if rows:
        pd.DataFrame(rows, columns=["ImageId", "Label"]).to_csv(d / "train.csv", index=False)
    return d, truth


@pytest.mark.parametrize("labeled_per_class", [0, 5])
def test_default_recipe_on_a_grey_download(tmp_path, capsys, labeled_per_class):
    d, truth = download(tmp_path, labeled_per_class)
    extra = [] if labeled_per_class else ["competition.import.n_classes=3"]
    code, out, err = kit_main(capsys, "run", ROOT / "configs" / "fashion_mnist.yaml", f"competition.dir={d}", *extra,
                              "refine.batch_size=32", "submit.copy_to=null", "--no-leaderboard",
                              "--runs-dir", tmp_path / "runs")
    assert code == 0, err
    # the recipe's 12 epochs of ceil(n / 32) batches are under its min_steps (200): refine raises the epochs
    n = len(truth) + len(CLASSES) * labeled_per_class
    per = -(-n // 32)
    want = -(-200 // per)
    assert f"refine: 12 epochs make {12 * per} optimizer steps on {n} images; training {want} epochs " \
           f"({want * per} steps, refine.min_steps 200)" in " ".join(err.split()), err
    sub = pd.read_csv(out.strip().splitlines()[-1])
    assert list(sub.columns) == ["ImageId", "Label"] and sorted(sub["ImageId"]) == sorted(truth)
    y = np.array([truth[i] for i in sub["ImageId"]])
    if labeled_per_class:  # the labels name the classes: plain accuracy in the download's own label values
        assert set(sub["Label"]) <= set(CLASSES)
        acc = (sub["Label"].to_numpy() == y).mean()
    else:
        assert sub["Label"].between(0, 2).all()
        acc = cluster_accuracy(y, sub["Label"].to_numpy())
    assert acc >= 0.8, acc  # trousers, sneakers and bags; chance is about 0.4
