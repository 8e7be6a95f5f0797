"""`kit run` (run_pipeline) fails before any work, or before a stage writes anything, instead of with a traceback
after the work: a runs folder that is a file, a reduce step wider than features whose width was unknown at load;
submit.copy_to naming a folder copies into it; a run waiting on another's stage says so."""
import json
import os
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from kit.errors import ConfigError, KitError
from kit.pipeline import run_pipeline
from kit.pipeline.cache import StageDir


def raw_config(tmp_path, **overrides):
    """Raw pixels of 200 digits -> PCA -> k-means: every stage in seconds."""
    cfg = {"name": "raw", "seed": 0,
           "competition": {"dir": str(tmp_path / "comp"),
                           "make": {"source": {"kind": "digits"}, "type": "label", "n_images": 200}},
           "reduce": [{"method": "pca", "n_components": 5}],
           "cluster": {"method": "kmeans", "n_clusters": 10, "n_init": 1},
           "submit": {"leaderboard": False, "copy_to": None}}
    cfg.update(overrides)
    return cfg


def test_a_runs_folder_that_is_a_file_fails_before_any_work(in_tmp):
    (in_tmp / "ofile").write_text("x")
    with pytest.raises(KitError, match=r"ofile is a file, so .*ofile/raw cannot be created inside it"):
        run_pipeline(raw_config(in_tmp), runs_dir=in_tmp / "ofile")
    assert sorted(p.name for p in in_tmp.iterdir()) == ["ofile"]  # no competition built, nothing written


def test_reduce_wider_than_unknown_features_fails_before_its_folder_is_made(in_tmp):
    # raw pixels of a competition not built yet: D (64) is unknown at load, so the stage checks, before writing
    cfg = raw_config(in_tmp, reduce=[{"method": "pca", "n_components": 65}])
    with pytest.raises(ConfigError, match=r"reduce\.pca\.n_components=65 is larger than the data allows "
                                          r"\(64 for 200 points x 64 features\)"):
        run_pipeline(cfg, runs_dir=in_tmp / "runs")
    run_dir = in_tmp / "runs" / "raw"
    assert list(run_dir.glob("extract-*")) and not list(run_dir.glob("reduce-*"))
    # the folder exists now: the same mistake fails at load, before any stage
    with pytest.raises(ConfigError, match=r"the features are the raw pixels of 8 x 8 x 1 images"):
        run_pipeline(cfg, runs_dir=in_tmp / "runs")


def test_copy_to_a_folder_writes_inside_it_and_a_waiting_run_says_why(in_tmp):
    (in_tmp / "odir").mkdir()
    cfg = raw_config(in_tmp, submit={"leaderboard": False, "copy_to": "odir"})
    first = run_pipeline(cfg, runs_dir=in_tmp / "runs")
    dest = Path(first["submission"])
    assert dest.parent == Path("odir") and dest.name.startswith("raw-") and dest.suffix == ".csv"
    assert dest.exists() and dest.with_suffix(".json").exists()
    assert not list(in_tmp.glob("odir-*"))  # not beside the folder

    stages = json.loads((in_tmp / "runs" / "raw" / "stages.json").read_text())
    cluster = Path(stages["cluster"])
    held = StageDir(cluster.parent, "cluster", None, {})
    held.path = cluster  # the same lock file as the run's cluster stage
    taken, release = threading.Event(), threading.Event()

    def hold():
        with held.lock():
            taken.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    threading.Timer(1.0, release.set).start()
    console = Console(record=True, width=200)
    t0 = time.perf_counter()
    again = run_pipeline(cfg, runs_dir=in_tmp / "runs", console=console)
    holder.join()
    assert time.perf_counter() - t0 >= 0.9 and again["ran"] == []
    out = console.export_text()
    assert f"stage cluster is being built by another kit run (pid {os.getpid()}); waiting" in out
    assert out.count("waiting") == 1  # only the stage that was held
