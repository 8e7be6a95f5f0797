"""Cache keys see code and model content; a competition built from another spec is never silently reused;
the hidden solution never influences the submission."""
import shutil

import pandas as pd
import pytest

from kit.errors import ConfigError
from kit.pipeline import cache, run_pipeline
from tests.pipeline.test_runner import digits_config


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_code_fingerprint_follows_the_stage_s_own_files(tmp_path, monkeypatch):
    pkg = tmp_path / "kit"
    shutil.copytree(cache.PACKAGE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE", pkg)
    cache.code_fingerprint.cache_clear()
    before = {s: cache.code_fingerprint(s) for s in cache.STAGE_CODE}
    (pkg / "cluster" / "kmeans.py").write_text((pkg / "cluster" / "kmeans.py").read_text() + "\n# a fix\n")
    cache.code_fingerprint.cache_clear()
    after = {s: cache.code_fingerprint(s) for s in cache.STAGE_CODE}
    cache.code_fingerprint.cache_clear()
    assert after["cluster"] != before["cluster"]
    assert all(after[s] == before[s] for s in cache.STAGE_CODE if s != "cluster")


def test_code_change_reruns_affected_stages_only(in_tmp, monkeypatch):
    cfg = digits_config(in_tmp, submit={"leaderboard": False, "copy_to": None})
    run_pipeline(cfg, runs_dir=in_tmp / "runs")
    real = cache.code_fingerprint

    def edited(stage):  # as if a file under kit/reduce had been edited
        return real(stage) + ("-edited" if stage == "reduce" else "")

    monkeypatch.setattr(cache, "code_fingerprint", edited)
    again = run_pipeline(cfg, runs_dir=in_tmp / "runs")
    assert again["ran"] == ["reduce", "cluster", "submit"]


def test_model_folder_given_by_path_is_hashed_by_content(in_tmp):
    first = run_pipeline(digits_config(in_tmp, submit={"leaderboard": False, "copy_to": None}), runs_dir=in_tmp / "runs")
    model = in_tmp / "model"
    shutil.copytree(first["stages"]["pretrain"], model)
    cfg = digits_config(in_tmp, name="frompath", pretrain=None, extract={"model": str(model)},
                        submit={"leaderboard": False, "copy_to": None})
    assert run_pipeline(cfg, runs_dir=in_tmp / "runs")["ran"] == ["extract", "reduce", "cluster", "submit"]
    assert run_pipeline(cfg, runs_dir=in_tmp / "runs")["ran"] == []
    other = in_tmp / "runs2"
    run_pipeline(digits_config(in_tmp, pretrain={"model": "mlp_ae", "model_kwargs": {"latent_dim": 16}, "epochs": 1,
                                                "batch_size": 128, "seed": 9},
                               submit={"leaderboard": False, "copy_to": None}), runs_dir=other)
    shutil.copyfile(next(other.glob("digits/pretrain-*/model.pt")), model / "model.pt")  # same path, new weights
    assert run_pipeline(cfg, runs_dir=in_tmp / "runs")["ran"] == ["extract", "reduce", "cluster", "submit"]


def test_changed_make_spec_is_an_error_not_a_silent_reuse(in_tmp):
    cfg = digits_config(in_tmp, submit={"leaderboard": False, "copy_to": None})
    run_pipeline(cfg, runs_dir=in_tmp / "runs")
    cfg["competition"]["make"]["public_fraction"] = 0.5
    with pytest.raises(ConfigError, match="another competition.make spec.*public_fraction"):
        run_pipeline(cfg, runs_dir=in_tmp / "runs")


def test_submission_does_not_depend_on_the_hidden_solution(in_tmp):
    cfg = digits_config(in_tmp, submit={"leaderboard": False, "copy_to": None})
    with_hidden = run_pipeline(cfg, runs_dir=in_tmp / "runs")
    shutil.rmtree(in_tmp / "comp" / "hidden")
    without = run_pipeline(cfg, runs_dir=in_tmp / "runs", force=True)
    assert without["scores"] is None
    assert pd.read_csv(with_hidden["submission"]).equals(pd.read_csv(without["submission"]))


def test_config_pointing_at_a_raw_download_imports_it(in_tmp):
    from tests.competition.test_import import _csv, _png

    d = in_tmp / "dl"
    for n in range(40):
        _png(d / "test" / f"{n:04d}.png", n, shape=(8, 8))
    _csv(d / "sample_submission.csv", id=[f"{n:04d}.png" for n in range(40)], label=0)
    cfg = {"name": "raw", "competition": {"dir": str(d), "import": {"n_classes": 3}},
           "reduce": [{"method": "pca", "n_components": 4}], "cluster": {"method": "kmeans", "n_clusters": 3},
           "submit": {"leaderboard": False, "copy_to": None}}
    first = run_pipeline(cfg, runs_dir=in_tmp / "runs")
    assert first["scores"] is None  # no hidden solution in a download
    sub = pd.read_csv(first["submission"])
    assert sub["id"].tolist() == [f"{n:04d}.png" for n in range(40)] and sub["label"].between(0, 2).all()
    assert (in_tmp / "dl.kit" / "competition.json").exists()
    mtime = (in_tmp / "dl.kit" / "competition.json").stat().st_mtime
    assert run_pipeline(cfg, runs_dir=in_tmp / "runs")["ran"] == []  # unchanged download: no re-import
    assert (in_tmp / "dl.kit" / "competition.json").stat().st_mtime == mtime
