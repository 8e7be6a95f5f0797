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
    res = kit("submit", clusters, "-c", comp_dir, "-o", tmp_path / "s.csv", "--same-fraction", 0.25)
    assert res.returncode == 0, res.stderr
    assert pd.read_csv(tmp_path / "s.csv")["label"].sum() == 30  # 0.25 of 120 pairs


def test_bad_same_fraction_exits_2_and_writes_nothing(tmp_path, pairs):
    comp_dir, clusters = pairs
    res = kit("submit", clusters, "-c", comp_dir, "-o", tmp_path / "s.csv", "--same-fraction", 1.5)
    assert res.returncode == 2
    assert "same_fraction must be a number between 0 and 1" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "s.csv").exists() and not (tmp_path / "s.json").exists()


def test_submit_errors_are_one_line_and_write_nothing(tmp_path, pairs, monkeypatch, capsys):
    from tests.cli.test_output_errors_cli import disk_full
    from tests.cli_main import kit_main

    comp_dir, clusters = pairs
    ids = np.load(clusters)["ids"]
    np.savez(tmp_path / "two_d.npz", ids=ids, clusters=np.zeros((len(ids), 3), np.int64))
    (tmp_path / "folder.csv").mkdir()
    cases = [((tmp_path / "two_d.npz", "-c", comp_dir, "-o", tmp_path / "s.csv"),
              "clusters: clusters must be one integer per id"),
             ((clusters, "-c", comp_dir, "-o", tmp_path / "folder.csv"), "--out " + str(tmp_path / "folder.csv") + " is a folder"),
             ((clusters, "-c", comp_dir, "-o", tmp_path / "two_d.npz" / "s.csv"), "is a file, so")]
    for args, message in cases:
        code, _, err = kit_main(capsys, "submit", *args)
        assert code == 2 and err.count("\n") == 1 and message in err, err
    disk_full(monkeypatch, pd.DataFrame, "to_csv")
    code, _, err = kit_main(capsys, "submit", clusters, "-c", comp_dir, "-o", tmp_path / "s.csv")
    assert code == 2 and err.count("\n") == 1 and f"{tmp_path / 's.csv'}: no space left on device" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.csv", "two_d.npz"]


def test_submit_never_overwrites_a_file_a_leaderboard_row_scored(tmp_path, pairs):
    """Was: `kit submit --out` silently replaced the leaderboard's top file with another run's content."""
    comp_dir, clusters = pairs
    board, out = tmp_path / "lb.csv", tmp_path / "s.csv"
    first = kit("submit", clusters, "-c", comp_dir, "-o", out, "--same-fraction", 0.25, "--leaderboard-file", board)
    assert first.returncode == 0, first.stderr
    scored = kit("score", out, "-c", comp_dir, "--leaderboard-file", board)
    assert scored.returncode == 0, scored.stderr
    kept = out.read_bytes()
    again = kit("submit", clusters, "-c", comp_dir, "-o", out, "--same-fraction", 0.25, "--leaderboard-file", board)
    assert again.returncode == 0, again.stderr  # the same bytes: nothing is lost
    other = kit("submit", clusters, "-c", comp_dir, "-o", out, "--same-fraction", 0.75, "--leaderboard-file", board)
    assert other.returncode == 2 and "is the file of a row of" in other.stderr and other.stderr.count("\n") == 1
    assert out.read_bytes() == kept
    elsewhere = kit("submit", clusters, "-c", comp_dir, "-o", out, "--same-fraction", 0.75, "--leaderboard-file",
                    tmp_path / "other_lb.csv")
    assert elsewhere.returncode == 0 and out.read_bytes() != kept  # no row of that leaderboard points to it
