"""Reconstruction error as an anomaly score: the AUC computation, and a real trained AE separating noise."""
import json

import numpy as np
import pytest

from kit.report.anomaly import anomaly_scores, default_ood, ood_auc


def test_ood_auc_on_synthetic_errors():
    rng = np.random.default_rng(0)
    normal = rng.uniform(0, 1, 500)
    assert ood_auc(normal, normal + 2) == 1.0  # every OOD error above every normal one
    assert ood_auc(normal, normal - 2) == 0.0
    assert abs(ood_auc(normal, rng.uniform(0, 1, 500)) - 0.5) < 0.06  # same distribution: chance


def test_default_ood_sets_keep_the_shape():
    images = np.random.default_rng(1).integers(0, 256, (4, 6, 5, 3), dtype=np.uint8)  # not default_ood's seed 0
    sets = default_ood(images)
    assert set(sets) == {"uniform noise", "flipped vertically", "inverted"}
    for arr in sets.values():
        assert arr.shape == images.shape and arr.dtype == np.uint8
    assert np.array_equal(sets["flipped vertically"], images[:, ::-1])
    assert np.array_equal(sets["inverted"], 255 - images)
    noise = sets["uniform noise"]  # 360 values: spread over 0..255, seeded, unrelated to the images
    assert noise.min() < 16 and noise.max() > 239 and abs(noise.mean() - 127.5) < 20
    assert abs(np.corrcoef(noise.ravel(), images.ravel())[0, 1]) < 0.2
    assert np.array_equal(default_ood(images)["uniform noise"], noise)
    assert not np.array_equal(default_ood(images, seed=5)["uniform noise"], noise)


def test_trained_autoencoder_flags_noise(runs):
    from kit.competition import load_competition
    from kit.models import load_model

    base, (a, _, _) = runs
    stages = json.loads((a / "stages.json").read_text())
    model = load_model(stages["pretrain"])
    images = load_competition(base / "comp").images.images[:300]
    ood = default_ood(images)
    err_n, scores = anomaly_scores(model, images, ood)
    np.testing.assert_allclose(err_n, pixel_mse(model, images), rtol=1e-5, atol=1e-9)
    assert set(scores) == set(ood)
    for name, (err, auc) in scores.items():
        np.testing.assert_allclose(err, pixel_mse(model, ood[name]), rtol=1e-5, atol=1e-9)
        # AUC by its definition: P(an OOD image's error > a normal image's error), ties counting half
        pairs = err[:, None] - err_n[None, :]
        assert auc == pytest.approx((pairs > 0).mean() + 0.5 * (pairs == 0).mean(), abs=1e-12)
    assert scores["uniform noise"][1] > 0.9


def pixel_mse(model, images):
    """Per-image mean of (eval-mode reconstruction - image)^2 over pixels in [0, 1], computed directly."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255
    model.eval()
    with torch.no_grad():
        _, x_hat = model(x)
    return ((x_hat.double() - x.double()) ** 2).flatten(1).mean(1).numpy()
