"""The report on a real (tiny) digits run: every figure exists, is a real image, and the HTML links it."""
import numpy as np
import pytest
from PIL import Image

from kit.pipeline import run_pipeline
from kit.report import build_report

FIGURES = ["reconstruction.png", "embedding.png", "curve.png", "interpolation.png", "latent_correlation.png", "anomaly.png"]


def config(tmp_path, name, pretrain=True):
    cfg = {"name": name, "competition": {"dir": str(tmp_path / "comp"), "make": {"source": {"kind": "digits"}, "labels_per_class": 3}},
           "reduce": [{"method": "pca", "n_components": 5}], "cluster": {"method": "kmeans", "n_clusters": 10},
           "submit": {"leaderboard": False, "copy_to": None}}
    if pretrain:
        cfg["pretrain"] = {"model": "mlp_ae", "model_kwargs": {"latent_dim": 8 if name == "a" else 16}, "epochs": 3}
    return cfg


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("runs")
    return tmp, [run_pipeline(config(tmp, n, n != "raw"), runs_dir=tmp / "runs")["run_dir"] for n in ("a", "b", "raw")]


def test_full_report(runs):
    tmp, (a, b, raw) = runs
    page = build_report([a, b, raw])
    text = page.read_text()
    assert "skipped:" not in text, text
    for fig in FIGURES:
        assert f"src='{fig}'" in text
        img = np.asarray(Image.open(page.parent / fig).convert("L"))
        assert img.shape[0] > 100 and img.shape[1] > 100 and img.std() > 5, fig  # not blank
    assert "ROC AUC" in text and "(d=8)" in text and "(d=16)" in text
    assert text.count("<tr") == 4  # header + three runs


def test_raw_run_skips_model_figures_with_reasons(runs, tmp_path):
    _, (_, _, raw) = runs
    text = build_report([raw], tmp_path / "r").read_text()
    assert text.count("skipped: no autoencoder") == 3
    assert (tmp_path / "r" / "embedding.png").exists()
