"""Reconstruction error as an anomaly score: the AUC computation, and a real trained AE separating noise."""
import json

import numpy as np

from kit.report.anomaly import anomaly_scores, default_ood, ood_auc


def test_ood_auc_on_synthetic_errors():
    rng = np.random.default_rng(0)
    normal = rng.uniform(0, 1, 500)
    assert ood_auc(normal, normal + 2) == 1.0  # every OOD error above every normal one
    assert ood_auc(normal, normal - 2) == 0.0
    assert abs(ood_auc(normal, rng.uniform(0, 1, 500)) - 0.5) < 0.06  # same distribution: chance


def test_default_ood_sets_keep_the_shape():
    images = np.random.default_rng(0).integers(0, 256, (4, 6, 5, 3), dtype=np.uint8)
    sets = default_ood(images)
    assert set(sets) == {"uniform noise", "flipped vertically", "inverted"}
    for arr in sets.values():
        assert arr.shape == images.shape and arr.dtype == np.uint8
    assert (sets["flipped vertically"][:, 0] == images[:, -1]).all()


def test_trained_autoencoder_flags_noise(runs):
    from kit.competition import load_competition
    from kit.models import load_model

    base, (a, _, _) = runs
    stages = json.loads((a / "stages.json").read_text())
    model = load_model(stages["pretrain"])
    images = load_competition(base / "comp").images.images[:300]
    err_n, scores = anomaly_scores(model, images, default_ood(images))
    assert err_n.shape == (300,) and (err_n >= 0).all()
    assert scores["uniform noise"][1] > 0.9
