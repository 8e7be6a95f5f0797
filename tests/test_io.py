"""kit.io: atomic writes that survive a full disk, output-path checks, and deleting only folders kit made."""
import errno
import os

import numpy as np
import pandas as pd
import pytest

from kit import io
from kit.errors import ConfigError, DataError


def fail_after_partial_write(monkeypatch, target, name, code=errno.ENOSPC):
    """``target.name`` writes half its output, then fails like a full disk."""
    real = getattr(target, name)

    def partial(*args, **kwargs):
        real(*args, **kwargs)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(target, name, partial)


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_full_disk_is_one_line_naming_the_path_and_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "table.csv"
    io.write_csv(path, pd.DataFrame({"a": [1]}))
    before = path.read_bytes()
    fail_after_partial_write(monkeypatch, pd.DataFrame, "to_csv")
    with pytest.raises(DataError) as info:
        io.write_csv(path, pd.DataFrame({"a": range(1000)}))
    message = str(info.value)
    assert "no space left on device" in message and str(path) in message and "\n" not in message
    assert path.read_bytes() == before  # the old content, not a half-written new one
    assert leftovers(tmp_path) == []  # no temporary file left behind


@pytest.mark.parametrize("code, words", [(errno.EDQUOT, "disk quota exceeded"), (errno.EROFS, "cannot write")])
def test_other_disk_errors_are_one_line_too(tmp_path, monkeypatch, code, words):
    fail_after_partial_write(monkeypatch, np, "savez", code)
    with pytest.raises(DataError, match=words):
        io.write_npz(tmp_path / "a.npz", x=np.zeros(3))
    assert list(tmp_path.iterdir()) == []


def test_files_written_together_appear_together(tmp_path, monkeypatch):
    a, b = tmp_path / "s.csv", tmp_path / "s.json"
    fail_after_partial_write(monkeypatch, io.Path, "write_text")
    with pytest.raises(DataError, match="no space left on device"):
        with io.atomic_paths(a, b) as (ta, tb):
            ta.write_bytes(b"id,label\n")  # the first file is complete ...
            tb.write_text("{}")  # ... the second hits the full disk
    assert list(tmp_path.iterdir()) == []  # neither appears


def test_a_library_that_hides_the_errno_is_caught_when_the_disk_is_full(tmp_path, monkeypatch):
    def save(*_):
        raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")

    with pytest.raises(RuntimeError, match="file write failed"):  # plenty of space: the real error
        with io.atomic_path(tmp_path / "m.pt") as tmp:
            save(tmp)
    monkeypatch.setattr(io, "_disk_full", lambda folder: True)
    with pytest.raises(DataError, match=r"m.pt: no space left on device"):
        with io.atomic_path(tmp_path / "m.pt") as tmp:
            save(tmp)
    assert list(tmp_path.iterdir()) == []


def test_output_paths_of_the_wrong_kind_are_refused(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="folder is a folder; expected a file path"):
        io.write_text(tmp_path / "folder", "x")
    with pytest.raises(ConfigError, match=r"--out .*file is a file, so .*file/a.csv cannot be created inside it"):
        io.check_file_path(tmp_path / "file" / "a.csv", "--out")
    with pytest.raises(ConfigError, match="--out .*file is a file; expected a folder"):
        io.check_dir_path(tmp_path / "file", "--out")
    assert (tmp_path / "file").read_text() == "x" and list((tmp_path / "folder").iterdir()) == []


def test_make_dir_marks_the_folder_and_safe_rmtree_needs_the_mark(tmp_path):
    made = io.make_dir(tmp_path / "a" / "b")
    (made / "data.bin").write_bytes(b"1")
    assert (made / io.MARKER).exists() and not (tmp_path / "a" / io.MARKER).exists()  # only the folder it made
    user = tmp_path / "user"
    user.mkdir()
    (user / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match="was not made by kit"):
        io.safe_rmtree(user)
    assert (user / "notes.txt").read_text() == "mine"
    io.safe_rmtree(made)
    assert not made.exists() and (tmp_path / "a").exists()
    (tmp_path / "empty").mkdir()
    io.safe_rmtree(tmp_path / "empty")  # nothing in it to lose
    assert not (tmp_path / "empty").exists()
    io.safe_rmtree(tmp_path / "missing")  # nothing to do


def test_safe_rmtree_never_takes_the_current_folder_or_above(tmp_path, monkeypatch):
    work = io.make_dir(tmp_path / "work")
    (work / "keep.txt").write_text("x")
    monkeypatch.chdir(work)
    for path in (".", "..", str(tmp_path), str(work)):
        with pytest.raises(DataError, match="current"):
            io.safe_rmtree(path)
    assert (work / "keep.txt").exists()


def test_a_link_is_unlinked_not_followed(tmp_path):
    target = io.make_dir(tmp_path / "target")
    (target / "keep.txt").write_text("x")
    (tmp_path / "link").symlink_to(target, target_is_directory=True)
    io.safe_rmtree(tmp_path / "link")
    assert not os.path.lexists(tmp_path / "link") and (target / "keep.txt").exists()


def test_check_replaceable(tmp_path, monkeypatch):
    assert io.check_replaceable(tmp_path / "new", overwrite=False) == tmp_path / "new"
    kit_made = io.make_dir(tmp_path / "kit")
    with pytest.raises(DataError, match="already exists; pass overwrite"):
        io.check_replaceable(kit_made, overwrite=False)
    io.check_replaceable(kit_made, overwrite=True)
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "f").write_text("x")
    with pytest.raises(DataError, match=r"user was not made by kit \(no .kit or competition.json in it\)"):
        io.check_replaceable(tmp_path / "user", overwrite=True, markers=(io.MARKER, "competition.json"))
    monkeypatch.chdir(tmp_path / "user")
    with pytest.raises(DataError, match="is the current folder"):
        io.check_replaceable(".", overwrite=True)
