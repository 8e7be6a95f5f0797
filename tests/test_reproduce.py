"""scripts/reproduce.py (`make reproduce`): the score comparison (identical, within SCORE_TOL, outside it), the
share of identical rows ("byte-identical" only when the files are), the recorded submissions it reads, and that
everything `make submit` writes under submissions/ is git-ignored while the recorded ones are tracked."""
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("reproduce", ROOT / "scripts" / "reproduce.py")
reproduce = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reproduce)

OLD = {"public": 0.765, "private": 0.770643}


def test_compare_scores():
    compare, tol = reproduce.compare_scores, reproduce.SCORE_TOL
    assert 0 < tol <= 0.01  # a stated, small tolerance
    assert compare(OLD, dict(OLD)) == "identical"
    assert compare(OLD, {"public": 0.765 + 1e-12, "private": 0.770643}) == "identical"  # JSON rounding
    assert compare(OLD, {"public": 0.766, "private": 0.770643 - 0.001}) == "within tolerance"  # another CPU
    assert compare(OLD, {"public": 0.765 + tol, "private": 0.770643}) == "within tolerance"  # the edge counts
    assert compare(OLD, {"public": 0.765, "private": 0.770643 + 1.5 * tol}) == "differs"
    assert compare(OLD, {"public": 0.70, "private": 0.70}) == "differs"
    assert compare(OLD, {"public": 0.765}) == "differs"  # a missing score never passes
    assert compare(OLD, {"public": float("nan"), "private": 0.770643}) == "differs"
    assert compare(OLD, {"public": 0.775, "private": 0.770643}, tol=0.02) == "within tolerance"


def write(path, labels, ids=None):
    ids = ids or [f"i{n}" for n in range(len(labels))]
    path.write_text("id,label\n" + "".join(f"{i},{v}\n" for i, v in zip(ids, labels)))
    return path


def test_row_agreement_and_its_description(tmp_path):
    rec = write(tmp_path / "rec.csv", [0, 1, 2, 2, 1, 0, 3, 3])
    same = write(tmp_path / "same.csv", [0, 1, 2, 2, 1, 0, 3, 3])
    agree = reproduce.row_agreement(rec, same)
    assert agree == {"rows": 8, "identical": 8, "relabelled": 8, "byte_identical": True}
    assert reproduce.describe_rows(agree) == "byte-identical"

    two_flipped = write(tmp_path / "flip.csv", [0, 1, 2, 2, 1, 0, 0, 1])
    agree = reproduce.row_agreement(rec, two_flipped)
    assert agree["identical"] == 6 and not agree["byte_identical"]
    assert reproduce.describe_rows(agree) == "75.00% rows identical (2 of 8 differ)"

    renamed = write(tmp_path / "renamed.csv", [1, 2, 3, 3, 2, 1, 0, 0])  # the same clusters, other ids
    agree = reproduce.row_agreement(rec, renamed)
    assert agree["identical"] == 0 and agree["relabelled"] == 8
    text = reproduce.describe_rows(agree)
    assert "byte" not in text and "100.00% after relabelling" in text

    # same labels, written in another row order: every row identical, but not byte-identical
    reordered = write(tmp_path / "order.csv", [3, 3, 0, 1, 2, 2, 1, 0], ids=[f"i{n}" for n in (6, 7, 0, 1, 2, 3, 4, 5)])
    agree = reproduce.row_agreement(rec, reordered)
    assert agree["identical"] == 8 and reproduce.describe_rows(agree) == "100.00% rows identical (0 of 8 differ)"


def test_recorded_submissions_are_read_from_submissions_recorded():
    found = reproduce.recorded([])
    assert found and all(p.parent == ROOT / "submissions" / "recorded" and p.suffix == ".json" for p in found)
    assert all(p.with_suffix(".csv").exists() for p in found)
    assert [p.stem for p in reproduce.recorded(["digits_scratch"])] == ["digits_scratch"]


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_what_make_submit_writes_is_ignored_and_the_recorded_ones_are_not():
    written = ["submissions/fashion_mnist-0123456789.csv", "submissions/fashion_mnist-0123456789.json",
               "submissions/leaderboard.csv", "submissions/.leaderboard.csv.lock", "runs/fashion_mnist/config.yaml",
               "competitions/fashion_mnist/images.npz"]
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *written], cwd=ROOT, capture_output=True,
                             text=True).stdout.split()
    assert ignored == written
    recorded = ["submissions/recorded/fashion_mnist.csv", "submissions/recorded/fashion_mnist.json"]
    proc = subprocess.run(["git", "check-ignore", "--no-index", *recorded], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stdout == ""  # none of them ignored
