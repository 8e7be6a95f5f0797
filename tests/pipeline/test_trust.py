"""Cache keys see code and model content; a competition built from another spec is never silently reused;
the hidden solution never influences the submission."""
import shutil

import pandas as pd
import pytest

from kit.errors import ConfigError
from kit.pipeline import cache, run_pipeline
from tests.pipeline.test_runner import digits_config


@pytest.fixture
def kit_copy(tmp_path, monkeypatch):
    """A copy of the kit package that the code fingerprint reads; ``edit(rel)`` changes one of its files as a code
    fix would (and forgets the per-process fingerprint, as a new process would). Returns (copy, edit)."""
    pkg = tmp_path / "pkg" / "kit"
    shutil.copytree(cache.PACKAGE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE", pkg)
    cache.code_fingerprint.cache_clear()

    def edit(rel):
        (pkg / rel).write_text((pkg / rel).read_text() + "\n# a fix\n")
        cache.code_fingerprint.cache_clear()

    yield pkg, edit
    cache.code_fingerprint.cache_clear()  # later tests fingerprint the real package again


def scan_config(tmp_path):
    """Tiny digits run with every stage a code fix could touch: neighbours (with a reduce step), refine, extract,
    reduce, cluster, submit."""
    cfg = digits_config(tmp_path, name="trust", cluster={"method": "kmeans", "n_clusters": 10, "n_init": 1},
                        reduce=[{"method": "pca", "n_components": 4}],
                        submit={"leaderboard": False, "copy_to": None},
                        refine={"model": "small_cnn", "model_kwargs": {"width": 4}, "neighbor_features": "pixels",
                                "k": 5, "neighbor_reduce": [{"method": "pca", "n_components": 8}],
                                "freeze_encoder": False, "epochs": 1, "self_label_epochs": 0, "head_hidden": 0,
                                "augment": "none"})
    del cfg["pretrain"]
    return cfg


def test_code_fingerprint_sees_every_source_file_and_only_source(kit_copy):
    pkg, edit = kit_copy
    real = cache.code_fingerprint()
    cache.code_fingerprint.cache_clear()
    assert cache.code_fingerprint() == real  # a byte-identical copy elsewhere: same code, same stage hashes
    (pkg / "notes.txt").write_text("not code")
    (pkg / "__pycache__").mkdir(exist_ok=True)
    (pkg / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"bytecode")
    cache.code_fingerprint.cache_clear()
    assert cache.code_fingerprint() == real
    sources = sorted(pkg.rglob("*.py"))
    assert len(sources) > 50
    for path in sources:  # no file is left out, whichever stage imports it
        text = path.read_text()
        edit(path.relative_to(pkg))
        assert cache.code_fingerprint() != real, path
        path.write_text(text)
    cache.code_fingerprint.cache_clear()
    assert cache.code_fingerprint() == real


# Files in each stage's real import closure that the old hand-written per-stage lists missed.
MISSED = [("reduce/umap.py", "neighbors"), ("cluster/label_mapping.py", "refine"), ("reduce/subsample.py", "cluster"),
          ("metrics.py", "cluster")]


def test_a_code_fix_anywhere_in_kit_reruns_the_stages_that_import_it(in_tmp, kit_copy):
    _, edit = kit_copy
    cfg = scan_config(in_tmp)
    first = run_pipeline(cfg, runs_dir=in_tmp / "runs")
    assert first["ran"] == ["neighbors", "refine", "extract", "reduce", "cluster", "validate", "submit"]
    assert run_pipeline(cfg, runs_dir=in_tmp / "runs")["ran"] == []  # unchanged tree: nothing reruns
    for rel, stage in MISSED:
        edit(rel)
        again = run_pipeline(cfg, runs_dir=in_tmp / "runs")
        assert stage in again["ran"], rel
        assert again["ran"] == first["ran"]  # and everything downstream of it
    assert run_pipeline(cfg, runs_dir=in_tmp / "runs")["ran"] == []


def test_model_folder_given_by_path_is_hashed_by_content(in_tmp):
    first = run_pipeline(digits_config(in_tmp, submit={"leaderboard": False, "copy_to": None}), runs_dir=in_tmp / "runs")
    model = in_tmp / "model"
    shutil.copytree(first["stages"]["pretrain"], model)
    cfg = digits_config(in_tmp, name="frompath", pretrain=None, extract={"model": str(model)},
                        submit={"leaderboard": False, "copy_to": None})
    assert run_pipeline(cfg, runs_dir=in_tmp / "runs")["ran"] == ["extract", "reduce", "cluster", "validate", "submit"]
    assert run_pipeline(cfg, runs_dir=in_tmp / "runs")["ran"] == []
    other = in_tmp / "runs2"
    run_pipeline(digits_config(in_tmp, pretrain={"model": "mlp_ae", "model_kwargs": {"latent_dim": 16}, "epochs": 1,
                                                "batch_size": 128, "seed": 9},
                               submit={"leaderboard": False, "copy_to": None}), runs_dir=other)
    shutil.copyfile(next(other.glob("digits/pretrain-*/model.pt")), model / "model.pt")  # same path, new weights
    assert run_pipeline(cfg, runs_dir=in_tmp / "runs")["ran"] == ["extract", "reduce", "cluster", "validate", "submit"]


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
