"""`cluster.smooth_k` in a run votes over the neighbours refine mined, and only the cluster stage reruns for it."""
import numpy as np

from kit.features.files import load_clusters, load_features
from kit.pipeline import run_pipeline
from tests.cluster.test_smoothing import recurrence
from tests.pipeline.test_runner import digits_config


def test_run_smooths_over_refines_neighbours(in_tmp):
    cfg = digits_config(in_tmp, name="smooth", cluster={"method": "argmax"}, reduce=[],
                        submit={"leaderboard": False, "copy_to": None},
                        refine={"model": "small_cnn", "model_kwargs": {"width": 4}, "neighbor_features": "pixels",
                                "k": 5, "freeze_encoder": False, "epochs": 1, "self_label_epochs": 0,
                                "head_hidden": 0, "augment": "none"})
    del cfg["pretrain"]
    plain = run_pipeline(cfg, runs_dir=in_tmp / "runs")
    cfg["cluster"] = {"method": "argmax", "smooth_k": 3, "smooth_alpha": 0.7}
    smoothed = run_pipeline(cfg, runs_dir=in_tmp / "runs")
    assert smoothed["ran"] == ["cluster", "validate", "submit"]  # refine, neighbours and extract were cached
    ids, logits = load_features(smoothed["stages"]["extract"] + "/features.npz")
    with np.load(smoothed["stages"]["neighbors"] + "/neighbors.npz") as z:
        assert (z["ids"].astype(str) == ids.astype(str)).all()
        nb = z["indices"][:, :3]
    P = np.exp(logits - logits.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    got = load_clusters(smoothed["stages"]["cluster"] + "/clusters.npz")
    np.testing.assert_allclose(got["probabilities"], recurrence(P.astype(np.float64), nb, 0.7), rtol=1e-4,
                               atol=1e-6)
    before = load_clusters(plain["stages"]["cluster"] + "/clusters.npz")["clusters"]
    assert (got["clusters"] != before).any()
