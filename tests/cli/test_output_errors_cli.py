"""Output paths of the wrong kind, a foreign leaderboard and a full disk end in one line and exit 2, with nothing
half-written (through the real entry point, in process, so the disk can be made to fail)."""
import errno
import os

import numpy as np
import pandas as pd
import pytest
import yaml

from kit.competition import load_competition, make_competition
from kit.data import load_source
from kit.submit import build_submission, write_submission
from tests.cli_main import kit_main


def disk_full(monkeypatch, target, name):
    """Every call of ``target.name`` fails like a write on a full disk."""
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(target, name, full)


def one_line(err: str, words: str) -> bool:
    return err.count("\n") == 1 and words in err and "Traceback" not in err


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """A competition with a hidden solution and a valid submission for it."""
    root = tmp_path_factory.mktemp("scored")
    comp_dir = make_competition(load_source({"kind": "digits", "limit": 100}), root / "c")
    comp = load_competition(comp_dir)
    df = build_submission(comp, {"ids": comp.images.ids, "clusters": np.arange(len(comp.images)) % 10})
    return comp_dir, write_submission(df, comp, root / "s.csv")


def test_score_refuses_a_foreign_csv_or_a_folder_as_leaderboard(tmp_path, scored, capsys):
    comp_dir, sub = scored
    foreign = tmp_path / "people.csv"
    foreign.write_text("name,age\nann,31\n")
    for out, words in ((foreign, "people.csv: not a kit leaderboard (columns name,age"),
                       (tmp_path, "is a folder; expected a file path")):
        code, _, err = kit_main(capsys, "score", sub, "-c", comp_dir, "--leaderboard-file", out)
        assert code == 2 and one_line(err, words), err
    assert foreign.read_text() == "name,age\nann,31\n" and sorted(p.name for p in tmp_path.iterdir()) == ["people.csv"]


def test_score_on_a_full_disk_ends_in_one_line_and_keeps_the_leaderboard(tmp_path, scored, monkeypatch, capsys):
    comp_dir, sub = scored
    board = tmp_path / "lb.csv"
    assert kit_main(capsys, "score", sub, "-c", comp_dir, "--leaderboard-file", board)[0] == 0
    before = board.read_bytes()
    (tmp_path / "t.csv").write_bytes(sub.read_bytes())  # another file: a new row to add
    disk_full(monkeypatch, pd.DataFrame, "to_csv")
    code, _, err = kit_main(capsys, "score", tmp_path / "t.csv", "-c", comp_dir, "--leaderboard-file", board)
    last = err.strip().splitlines()[-1]
    assert code == 2 and last == f"error: {board}: no space left on device; nothing was written (free some space and rerun)"
    assert "Traceback" not in err and board.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp.csv")]


@pytest.mark.parametrize("command", [
    lambda comp, out: ["refine", "small_cnn", "-c", comp, "--no-freeze", "--neighbor-features", "dsift", "-o", out],
    lambda comp, out: ["sweep", "configs/digits.yaml", "--set", "seed=1,2", "-o", out],
], ids=["refine", "sweep"])
def test_a_file_where_a_folder_is_expected(tmp_path, scored, capsys, command):
    comp_dir, _ = scored
    out = tmp_path / "taken.txt"
    out.write_text("mine")
    code, _, err = kit_main(capsys, *command(comp_dir, out))
    assert code == 2 and one_line(err, f"--out {out} is a file; expected a folder"), err
    assert out.read_text() == "mine"


def test_extract_on_a_full_disk(tmp_path, scored, monkeypatch, capsys):
    comp_dir, _ = scored
    disk_full(monkeypatch, np, "savez")
    code, _, err = kit_main(capsys, "extract", "raw", "-c", comp_dir, "-o", tmp_path / "f.npz")
    assert code == 2 and one_line(err, f"{tmp_path / 'f.npz'}: no space left on device"), err
    assert list(tmp_path.iterdir()) == []


def test_run_on_a_full_disk_leaves_no_finished_stage_without_its_files(tmp_path, scored, monkeypatch, capsys):
    comp_dir, _ = scored
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({
        "name": "tiny", "competition": {"dir": str(comp_dir)}, "extract": {"model": "raw"},
        "reduce": [{"method": "pca", "n_components": 4}], "cluster": {"method": "kmeans", "n_clusters": 10},
        "submit": {"leaderboard": False, "copy_to": None}}))
    disk_full(monkeypatch, np, "savez")
    code, _, err = kit_main(capsys, "run", config, "--runs-dir", tmp_path / "runs")
    assert code == 2 and "features.npz: no space left on device" in err.strip().splitlines()[-1], err
    assert "Traceback" not in err
    stages = list((tmp_path / "runs" / "tiny").glob("extract-*"))
    assert stages and not any((s / "stage.json").exists() or (s / "features.npz").exists() for s in stages)
