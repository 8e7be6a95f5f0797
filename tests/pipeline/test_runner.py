"""`kit run` end to end on sklearn digits: real stages, real scores, cache behaviour."""
import json
import multiprocessing
import os
import time

import pandas as pd
import pytest

from kit.pipeline import run_pipeline


def digits_config(tmp_path, **overrides):
    cfg = {
        "name": "digits",
        "seed": 0,
        "competition": {
            "dir": str(tmp_path / "comp"),
            "make": {"source": {"kind": "digits"}, "type": "label", "public_fraction": 0.3},
        },
        "pretrain": {"model": "mlp_ae", "model_kwargs": {"latent_dim": 16}, "epochs": 2, "batch_size": 128},
        "reduce": [{"method": "pca", "n_components": 10}],
        "cluster": {"method": "kmeans", "n_clusters": 10},
        "submit": {"leaderboard": True, "copy_to": str(tmp_path / "submissions" / "digits.csv")},
    }
    cfg.update(overrides)
    return cfg


def test_run_end_to_end_then_cached(in_tmp):
    cfg = digits_config(in_tmp)
    first = run_pipeline(cfg, runs_dir=in_tmp / "runs")
    assert first["ran"] == ["pretrain", "extract", "reduce", "cluster", "validate", "submit"]
    scores = first["scores"]
    # K-Means on learned digits features is far above chance (0.1) on both splits.
    assert scores["public"] > 0.4 and scores["private"] > 0.4
    sub = pd.read_csv(first["submission"])
    sample = pd.read_csv(in_tmp / "comp" / "sample_submission.csv")
    assert list(sub.columns) == ["id", "label"] and sub["id"].tolist() == sample["id"].tolist()
    meta = json.loads(first["submission"].with_suffix(".json").read_text())
    assert meta["scores"]["public"] == scores["public"] and meta["config"]["name"] == "digits"
    assert {"torch", "scikit-learn"} <= set(meta["packages"])
    lb = pd.read_csv(in_tmp / "submissions" / "leaderboard.csv")
    assert len(lb) == 1 and lb["public"].iloc[0] == pytest.approx(scores["public"])
    stages = json.loads((in_tmp / "runs" / "digits" / "stages.json").read_text())
    assert set(stages) >= {"competition", "pretrain", "extract", "reduce", "cluster", "submit"}

    again = run_pipeline(cfg, runs_dir=in_tmp / "runs")
    assert again["ran"] == []
    assert again["scores"] == scores


def test_changing_one_stage_reruns_it_and_downstream_only(in_tmp):
    run_pipeline(digits_config(in_tmp), runs_dir=in_tmp / "runs", leaderboard=False)
    changed = run_pipeline(digits_config(in_tmp, cluster={"method": "gmm", "n_clusters": 10}),
                           runs_dir=in_tmp / "runs", leaderboard=False)
    assert changed["ran"] == ["cluster", "validate", "submit"]
    changed = run_pipeline(digits_config(in_tmp, reduce=[{"method": "pca", "n_components": 8}]),
                           runs_dir=in_tmp / "runs", leaderboard=False)
    assert changed["ran"] == ["reduce", "cluster", "validate", "submit"]


def test_raw_pixels_without_pretrain(in_tmp):
    cfg = digits_config(in_tmp)
    del cfg["pretrain"]
    res = run_pipeline(cfg, runs_dir=in_tmp / "runs", leaderboard=False)
    assert res["ran"] == ["extract", "reduce", "cluster", "validate", "submit"]
    assert res["scores"]["private"] > 0.5


def test_few_labels_map_clusters_to_classes(in_tmp):
    cfg = digits_config(in_tmp)
    cfg["competition"]["make"]["labels_per_class"] = 5
    del cfg["pretrain"]
    res = run_pipeline(cfg, runs_dir=in_tmp / "runs", leaderboard=False)
    # metric is plain accuracy on true class indices: only a correct label mapping scores well.
    assert res["scores"]["public"] > 0.5 and res["scores"]["private"] > 0.5


def test_refine_stage_in_a_run(in_tmp):
    cfg = digits_config(in_tmp, name="digits_refine",
                        refine={"epochs": 20, "self_label_epochs": 5, "augment": "none", "strong_augment": "none"},
                        cluster={"method": "argmax"}, submit={"leaderboard": False, "copy_to": None})
    cfg["reduce"] = []
    first = run_pipeline(cfg, runs_dir=in_tmp / "runs")
    assert first["ran"] == ["pretrain", "neighbors", "refine", "extract", "reduce", "cluster", "validate", "submit"]
    assert first["scores"]["public"] > 0.5
    cfg["refine"]["self_label_epochs"] = 6  # only refine and what follows reruns; neighbours are reused
    again = run_pipeline(cfg, runs_dir=in_tmp / "runs")
    assert again["ran"] == ["refine", "extract", "reduce", "cluster", "validate", "submit"]


def test_fresh_refine_needs_no_pretrain_and_its_neighbours_no_model(in_tmp):
    """refine.model trains a registered network from scratch on dense-SIFT neighbours: no pretrain stage, and the
    neighbours (a descriptor's) are kept when only the network changes."""
    cfg = digits_config(in_tmp, name="digits_fresh", cluster={"method": "argmax"},
                        submit={"leaderboard": False, "copy_to": None},
                        refine={"model": "small_cnn", "model_kwargs": {"width": 8}, "neighbor_features": "dsift",
                                "freeze_encoder": False, "epochs": 2, "self_label_epochs": 0, "head_hidden": 0})
    del cfg["pretrain"]
    cfg["reduce"] = []
    first = run_pipeline(cfg, runs_dir=in_tmp / "runs")
    assert first["ran"] == ["neighbors", "refine", "extract", "reduce", "cluster", "validate", "submit"]
    assert json.loads((in_tmp / "runs" / "digits_fresh" / "stages.json").read_text())["pretrain"] is None
    cfg["refine"]["model_kwargs"] = {"width": 4}
    again = run_pipeline(cfg, runs_dir=in_tmp / "runs")
    assert again["ran"] == ["refine", "extract", "reduce", "cluster", "validate", "submit"]


def _run_with_slow_extract(cfg, runs_dir, builds, barrier, results):
    """A `kit run` in its own process whose extract build takes 2 s and logs each build to ``builds``."""
    from io import StringIO

    from rich.console import Console

    from kit.pipeline import stages

    real = stages.extract_stage

    def slow(*args, **kwargs):
        with open(builds, "a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(2)
        return real(*args, **kwargs)

    stages.extract_stage = slow
    barrier.wait(timeout=120)  # both runs reach the first stage together
    res = run_pipeline(cfg, runs_dir=runs_dir, console=Console(file=StringIO()))
    results.put({"ran": res["ran"], "stages": res["stages"], "scores": res["scores"],
                 "submission": str(res["submission"])})


def test_two_concurrent_runs_build_each_stage_once(in_tmp):
    from kit.pipeline import stages

    cfg = digits_config(in_tmp, submit={"leaderboard": False, "copy_to": None})
    del cfg["pretrain"]
    stages.build_competition(cfg["competition"], cfg["seed"])  # the competition is not what this test is about
    ctx = multiprocessing.get_context("spawn")  # a real second process, as a second `kit run` would be
    barrier, results, builds = ctx.Barrier(2), ctx.Queue(), in_tmp / "builds.txt"
    procs = [ctx.Process(target=_run_with_slow_extract, args=(cfg, in_tmp / "runs", builds, barrier, results))
             for _ in range(2)]
    for proc in procs:
        proc.start()
    try:
        first, second = (results.get(timeout=300) for _ in procs)
    finally:
        for proc in procs:
            proc.join(timeout=60)
    assert [proc.exitcode for proc in procs] == [0, 0]
    assert len(builds.read_text().splitlines()) == 1  # the second run waited for the first one's extract
    assert sorted(first["ran"] + second["ran"]) == sorted(["extract", "reduce", "cluster", "validate", "submit"])
    assert {k: v for k, v in first.items() if k != "ran"} == {k: v for k, v in second.items() if k != "ran"}


def test_another_run_with_the_same_features_copies_them_and_rebuilds_the_rest(in_tmp):
    """A second config (other name) with the same pretrain and extract: the model and the features are copied from
    the first run's folder, byte for byte; everything after the change is built."""
    raw = {"extract": {"model": "raw"}}
    first = run_pipeline(digits_config(in_tmp, name="a", **raw), runs_dir=in_tmp / "runs")
    second = run_pipeline(digits_config(in_tmp, name="b", cluster={"method": "kmeans", "n_clusters": 8}, **raw),
                          runs_dir=in_tmp / "runs")
    assert first["ran"][:3] == ["pretrain", "extract", "reduce"]
    assert second["ran"] == ["cluster", "validate", "submit"]
    assert "/b/" in second["stages"]["extract"] and "/b/" in second["stages"]["pretrain"]
    for stage, name in (("extract", "features.npz"), ("pretrain", "model.pt")):
        a, b = (open(os.path.join(r["stages"][stage], name), "rb").read() for r in (first, second))
        assert a == b


def test_features_are_keyed_on_the_images_not_the_labels(in_tmp):
    """The same images with labels added (another competition folder): extract is not rerun; cluster is."""
    raw = {"extract": {"model": "raw"}, "pretrain": None}
    first = run_pipeline(digits_config(in_tmp, name="plain", **raw), runs_dir=in_tmp / "runs")
    labeled = digits_config(in_tmp, name="labeled", **raw)
    labeled["competition"] = {"dir": str(in_tmp / "comp5"), "make": {**labeled["competition"]["make"],
                                                                      "labels_per_class": 5}}
    second = run_pipeline(labeled, runs_dir=in_tmp / "runs")
    assert os.path.basename(first["stages"]["extract"]) == os.path.basename(second["stages"]["extract"])
    assert "extract" not in second["ran"] and "cluster" in second["ran"]
