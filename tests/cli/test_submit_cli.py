"""`kit submit --same-fraction`: a pairs submission with the stated share of "same" rows; bad values exit 2 and
write nothing."""
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from kit.competition import load_competition, make_competition
from kit.data import load_source


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    root = tmp_path_factory.mktemp("pairs")
    comp_dir = make_competition(load_source({"kind": "digits", "limit": 300}), root / "c", "pairs", n_pairs=120)
    comp = load_competition(comp_dir)
    P = np.random.default_rng(0).dirichlet(np.ones(5), len(comp.images))
    np.savez(root / "clusters.npz", ids=comp.images.ids, clusters=P.argmax(1), probabilities=P)
    return comp_dir, root / "clusters.npz"


def kit(*args):
    return subprocess.run([sys.executable, "-m", "kit", *map(str, args)], capture_output=True, text=True)


def test_same_fraction_sets_the_share_of_same_rows(tmp_path, pairs):
    comp_dir, clusters = pairs
    res = kit("submit", clusters, comp_dir, "-o", tmp_path / "s.csv", "--same-fraction", 0.25)
    assert res.returncode == 0, res.stderr
    assert pd.read_csv(tmp_path / "s.csv")["label"].sum() == 30  # 0.25 of 120 pairs


def test_bad_same_fraction_exits_2_and_writes_nothing(tmp_path, pairs):
    comp_dir, clusters = pairs
    res = kit("submit", clusters, comp_dir, "-o", tmp_path / "s.csv", "--same-fraction", 1.5)
    assert res.returncode == 2
    assert "same_fraction must be a number between 0 and 1" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "s.csv").exists() and not (tmp_path / "s.json").exists()
