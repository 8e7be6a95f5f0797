"""Leaderboard log: locked, atomic appends that keep every row, extra columns, no duplicate of an entry, the
competition of each row, and submission names that never overwrite another submission."""
import re
import subprocess
import sys
import time

import pandas as pd
import pytest

from kit.competition.leaderboard import (COLUMNS, append_entry, file_digest, git_commit, locked, read_leaderboard,
                                        submission_dest, submission_id)
from kit.errors import DataError

SCORES = dict(public=0.5, private=0.25, nmi=0.1, ari=0.2)


def test_append_keeps_history_and_extra_columns(tmp_path):
    path = tmp_path / "sub" / "leaderboard.csv"
    assert append_entry(path, file="a.csv", public=0.5, private=0.25, nmi=0.1, ari=0.2, config_hash="abc", git_commit="f00")
    assert append_entry(path, file="b.csv", public=1.0, private=0.75, nmi=0.3, ari=0.4, extra={"seconds": 12.5})
    lb = pd.read_csv(path)
    assert list(lb.columns) == COLUMNS + ["seconds"]
    assert lb["file"].tolist() == ["a.csv", "b.csv"] and lb["private"].tolist() == [0.25, 0.75]
    assert lb["config_hash"].iloc[0] == "abc" and pd.isna(lb["seconds"].iloc[0]) and lb["seconds"].iloc[1] == 12.5
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", lb["time"].iloc[1])
    # no temp files left; only the lock's sidecar file stays beside the log
    assert sorted(p.name for p in path.parent.iterdir()) == [".leaderboard.csv.lock", "leaderboard.csv"]


def test_same_file_content_and_config_is_not_added_twice(tmp_path):
    path, sub = tmp_path / "lb.csv", tmp_path / "s.csv"
    sub.write_text("id,label\na,1\n")
    assert append_entry(path, file=str(sub), config_hash="h1", **SCORES)
    assert not append_entry(path, file=str(sub), config_hash="h1", **SCORES)  # a cached re-run
    assert append_entry(path, file=str(sub), config_hash="h2", **SCORES)  # another config
    sub.write_text("id,label\na,2\n")
    assert append_entry(path, file=str(sub), config_hash="h1", **SCORES)  # same name, new content
    lb = pd.read_csv(path, dtype=str)
    assert len(lb) == 3 and lb["config_hash"].tolist() == ["h1", "h2", "h1"]
    assert lb["digest"].iloc[0] != lb["digest"].iloc[2] and lb["digest"].iloc[2] == file_digest(sub)
    assert re.fullmatch(r"[0-9a-f]{64}", lb["digest"].iloc[0])


def test_rows_of_an_older_log_without_digest_are_kept(tmp_path):
    path = tmp_path / "lb.csv"
    pd.DataFrame([{"file": "old.csv", "time": "t", "config_hash": "h", "git_commit": "", "public": 0.9,
                   "private": 0.8, "nmi": 0.1, "ari": 0.1}]).to_csv(path, index=False)
    assert append_entry(path, file="old.csv", config_hash="h", digest="", **SCORES)
    lb = read_leaderboard(path)
    assert lb["file"].tolist() == ["old.csv", "old.csv"] and lb["public"].tolist() == [0.9, 0.5]


APPEND = """
import sys, time
from pathlib import Path
from kit.competition.leaderboard import append_entry
path, start, worker = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
while not start.exists():
    time.sleep(0.01)
for i in range(3):
    append_entry(path, file=f"w{worker}-{i}.csv", public=worker / 10, private=0.0, nmi=0.0, ari=0.0,
                 config_hash=f"{worker}-{i}")
"""


def test_eight_parallel_writers_keep_all_24_rows(tmp_path):
    path, start = tmp_path / "lb.csv", tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", APPEND, str(path), str(start), str(w)]) for w in range(8)]
    time.sleep(0.5)
    start.touch()  # all of them start appending together
    assert [p.wait(timeout=300) for p in procs] == [0] * 8
    lb = pd.read_csv(path, dtype=str)
    assert len(lb) == 24
    assert sorted(lb["file"]) == sorted(f"w{w}-{i}.csv" for w in range(8) for i in range(3))


def test_append_waits_for_the_lock(tmp_path):
    path, started = tmp_path / "lb.csv", tmp_path / "started"
    code = ("import sys; from pathlib import Path; from kit.competition.leaderboard import append_entry; "
            "Path(sys.argv[2]).touch(); "
            "append_entry(sys.argv[1], file='x.csv', public=1.0, private=1.0, nmi=1.0, ari=1.0)")
    with locked(path):
        proc = subprocess.Popen([sys.executable, "-c", code, str(path), str(started)])
        while not started.exists() and proc.poll() is None:
            time.sleep(0.05)
        time.sleep(1.0)
        assert not path.exists()  # the writer is blocked while we hold the lock
        assert proc.poll() is None
    assert proc.wait(timeout=120) == 0
    assert pd.read_csv(path)["file"].tolist() == ["x.csv"]


def test_read_sorts_by_public_score(tmp_path):
    path = tmp_path / "lb.csv"
    for name, public in (("a", 0.3), ("b", 0.9), ("c", 0.6)):
        append_entry(path, file=name, public=public, private=0.0, nmi=0.0, ari=0.0, digest="")
    assert read_leaderboard(path)["file"].tolist() == ["b", "c", "a"]
    with pytest.raises(DataError, match="no leaderboard yet"):
        read_leaderboard(tmp_path / "none.csv")


def git(repo, *args):
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(cmd, cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


def test_git_commit_is_this_checkouts_head():
    """In the kit checkout: `git rev-parse --short HEAD`, plus +dirty exactly when a tracked file has changes."""
    import kit.competition.leaderboard as mod

    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=mod.REPO_ROOT, capture_output=True).returncode:
        pytest.skip("kit is not in a git checkout here")

    def oracle():
        dirty = git(mod.REPO_ROOT, "status", "--porcelain", "--untracked-files=no")
        return git(mod.REPO_ROOT, "rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")

    before = oracle()
    got = git_commit()
    assert got in {before, oracle()}  # either side of a concurrent edit of the tree


def test_git_commit_known_answers_in_a_scratch_repository(tmp_path, monkeypatch):
    import kit.competition.leaderboard as mod

    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # git must not find a repository above tmp_path
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.setattr(mod, "REPO_ROOT", repo)
    git(repo, "init", "-q")
    (repo / "a.txt").write_text("one\n")
    git(repo, "add", "a.txt")
    assert git_commit() == ""  # no commit yet, so no HEAD (a staged file does not make it '+dirty')
    git(repo, "commit", "-q", "-m", "first")
    full = git(repo, "rev-parse", "HEAD")
    short = git_commit()
    assert 7 <= len(short) < 40 and full.startswith(short)  # an abbreviation of this repository's HEAD
    (repo / "new.txt").write_text("untracked\n")
    assert git_commit() == short  # untracked files are not changes to the committed tree
    (repo / "a.txt").write_text("two\n")
    assert git_commit() == short + "+dirty"
    git(repo, "add", "a.txt")
    assert git_commit() == short + "+dirty"  # staged, not committed
    git(repo, "commit", "-q", "-m", "second")
    second = git_commit()
    assert second != short and git(repo, "rev-parse", "HEAD").startswith(second)

    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setattr(mod, "REPO_ROOT", plain)
    assert git_commit() == ""  # not a git checkout
    monkeypatch.setattr(mod, "REPO_ROOT", repo)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert git_commit() == ""  # no git at all


def test_competition_column_and_filter(tmp_path):
    path = tmp_path / "lb.csv"
    pd.DataFrame([{"file": "legacy.csv", "time": "t", "config_hash": "h", "git_commit": "", "public": 0.99,
                   "private": 0.8, "nmi": 0.1, "ari": 0.1}]).to_csv(path, index=False)  # before the column existed
    append_entry(path, file="fm.csv", competition="fashion_mnist", **SCORES)
    append_entry(path, file="dg.csv", competition="digits", **{**SCORES, "public": 0.9})
    written = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert written["competition"].tolist() == ["", "fashion_mnist", "digits"]
    every = read_leaderboard(path)
    assert every["file"].tolist() == ["legacy.csv", "dg.csv", "fm.csv"]
    assert read_leaderboard(path, competition="digits")["file"].tolist() == ["dg.csv"]
    assert read_leaderboard(path, competition="fashion_mnist")["file"].tolist() == ["fm.csv"]
    assert read_leaderboard(path, competition="cifar10").empty
    old = tmp_path / "old.csv"  # a log without the column still reads, with an empty competition
    pd.DataFrame([{"file": "a.csv", "time": "t", "public": 0.5}]).to_csv(old, index=False)
    assert read_leaderboard(old)["competition"].tolist() == [""] and read_leaderboard(old, competition="x").empty


def test_submission_names_are_unique_and_never_overwrite(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("id,label\nx,1\n")
    b.write_text("id,label\nx,2\n")
    template = str(tmp_path / "subs" / "run-{id}.csv")
    dest_a, note = submission_dest(template, config_hash="h1", source=a)
    assert note is None and dest_a.name == f"run-{submission_id('h1', file_digest(a))}.csv"
    assert submission_dest(template, config_hash="h1", source=a)[0] == dest_a  # a rerun: the same name
    names = {submission_dest(template, config_hash=h, source=s)[0] for h, s in (("h1", a), ("h1", b), ("h2", a))}
    assert len(names) == 3  # another content or another config: another file

    fixed = tmp_path / "subs" / "mine.csv"  # a copy_to without {id} is honoured while it holds nothing else
    assert submission_dest(fixed, config_hash="h1", source=a) == (fixed, None)
    fixed.parent.mkdir(exist_ok=True)
    fixed.write_bytes(a.read_bytes())
    fixed.with_suffix(".json").write_text('{"config_hash": "h1"}')
    assert submission_dest(fixed, config_hash="h1", source=a) == (fixed, None)  # the same submission again
    for h, s in (("h1", b), ("h2", a)):  # other content, or the same content recorded for another config
        dest, note = submission_dest(fixed, config_hash=h, source=s)
        assert dest == fixed.with_name(f"mine-{submission_id(h, file_digest(s))}.csv") and "never overwritten" in note
