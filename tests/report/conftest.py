"""Three tiny real digits runs shared by the report tests: two autoencoders (latent 8 and 16) and raw pixels."""
import json
import shutil

import pytest

from kit.pipeline import run_pipeline


def config(tmp_path, name, latent_dim=None):
    cfg = {"name": name,
           "competition": {"dir": str(tmp_path / "comp"), "make": {"source": {"kind": "digits"}, "labels_per_class": 3}},
           "reduce": [{"method": "pca", "n_components": 5}], "cluster": {"method": "kmeans", "n_clusters": 10},
           "submit": {"leaderboard": False, "copy_to": None}}
    if latent_dim:
        cfg["pretrain"] = {"model": "mlp_ae", "model_kwargs": {"latent_dim": latent_dim}, "epochs": 3}
    return cfg


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """(base, [run_a, run_b, run_raw]); base holds comp/ and runs/."""
    tmp = tmp_path_factory.mktemp("report_runs")
    dirs = [run_pipeline(config(tmp, n, d), runs_dir=tmp / "runs")["run_dir"]
            for n, d in (("a", 8), ("b", 16), ("raw", None))]
    return tmp, dirs


def clone_run(run_dir, dest, **changes):
    """A copy of run_dir's stages.json in a new run folder, with some stage paths replaced."""
    dest.mkdir(parents=True, exist_ok=True)
    stages = json.loads((run_dir / "stages.json").read_text())
    stages.update({k: (str(v) if v is not None else None) for k, v in changes.items()})
    (dest / "stages.json").write_text(json.dumps(stages))
    return dest


def copy_competition(comp_dir, dest, with_solution=True):
    shutil.copytree(comp_dir, dest, ignore=None if with_solution else shutil.ignore_patterns("hidden"))
    return dest
