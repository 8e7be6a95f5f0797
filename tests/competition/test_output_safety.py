"""Competition outputs: kit replaces only folders it made, never the current folder or one above it, and a full
disk leaves nothing half-written."""
import errno
import os

import numpy as np
import pytest

from kit.competition import import_competition, load_competition, make_competition
from kit.data import load_source
from kit.errors import DataError
from tests.competition.test_import import _csv, _png


@pytest.fixture(scope="module")
def digits():
    return load_source({"kind": "digits", "limit": 60})


@pytest.fixture
def download(tmp_path):
    d = tmp_path / "dl"
    for n in range(6):
        _png(d / "test" / f"{n}.png", n)
    _csv(d / "sample_submission.csv", id=[str(n) for n in range(6)], label=0)
    return d


def user_folder(path):
    path.mkdir(parents=True)
    (path / "notes.txt").write_text("mine")
    (path / "sub").mkdir()
    (path / "sub" / "data.csv").write_text("a,b\n")
    return path


def untouched(path):
    return (path / "notes.txt").read_text() == "mine" and (path / "sub" / "data.csv").exists()


def test_make_never_replaces_the_current_folder_or_above(tmp_path, monkeypatch, digits):
    work = user_folder(tmp_path / "work")
    monkeypatch.chdir(work)
    for out in (".", "..", str(work), str(tmp_path)):
        with pytest.raises(DataError, match="current") as info:
            make_competition(digits, out, overwrite=True)
        assert "\n" not in str(info.value)
    assert untouched(work) and sorted(p.name for p in work.iterdir()) == ["notes.txt", "sub"]


def test_import_never_replaces_the_current_folder(download, monkeypatch):
    monkeypatch.chdir(user_folder(download.parent / "work"))
    with pytest.raises(DataError, match="is the current folder"):
        import_competition(download, ".", n_classes=2, overwrite=True)
    assert untouched(download.parent / "work")


def test_overwrite_replaces_a_kit_competition_but_not_a_user_folder(tmp_path, digits, download):
    user = user_folder(tmp_path / "user")
    with pytest.raises(DataError, match=r"user was not made by kit \(no .kit or competition.json in it\)"):
        make_competition(digits, user, overwrite=True)
    with pytest.raises(DataError, match="was not made by kit"):
        import_competition(download, user, n_classes=2, overwrite=True)
    assert untouched(user)
    made = make_competition(digits, tmp_path / "c")
    import_competition(download, made, n_classes=2, overwrite=True)  # kit's own folder: replaced whole
    assert load_competition(made).metric == "cluster_accuracy"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folders left


def test_overwrite_refuses_files_kit_did_not_write_in_its_folder(tmp_path, digits, download):
    """A kit folder the user put files in: overwrite=True (kit run's re-import) names them and touches nothing;
    only the user's explicit --overwrite (delete_foreign / import_replacing) deletes them."""
    from kit.competition.folder import foreign_files
    from kit.competition.importer import import_replacing

    made = make_competition(digits, tmp_path / "c")
    assert foreign_files(made) == []
    (made / "stale.txt").write_text("mine")
    (made / "notes").mkdir()
    (made / "notes" / "a.md").write_text("mine")
    (made / "hidden" / "mine.csv").write_text("x")
    before = {p: p.read_bytes() for p in made.rglob("*") if p.is_file()}
    assert foreign_files(made) == ["hidden/mine.csv", "notes/", "stale.txt"]
    for call in (lambda: make_competition(digits, made, overwrite=True, seed=3),
                 lambda: import_competition(download, made, n_classes=2, overwrite=True)):
        with pytest.raises(DataError) as info:
            call()
        message = str(info.value)
        assert "\n" not in message and "3 files kit did not write (hidden/mine.csv, notes/, stale.txt)" in message
    assert {p: p.read_bytes() for p in made.rglob("*") if p.is_file()} == before  # nothing touched
    make_competition(digits, made, overwrite=True, seed=3, delete_foreign=True)
    assert foreign_files(made) == [] and load_competition(made).name == "c"
    (made / "stale.txt").write_text("mine")
    import_replacing(download, made, n_classes=2)
    assert foreign_files(made) == [] and load_competition(made).metric == "cluster_accuracy"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_run_reimport_refuses_user_files_in_dl_kit(download):
    """kit run re-imports a changed download into dl.kit/: a file the user put there is named, never deleted."""
    from kit.pipeline.stages import build_competition

    spec = {"dir": str(download), "import": {"n_classes": 2}}
    out = build_competition(spec, seed=0)
    assert out == download.parent / "dl.kit"
    (out / "notes.txt").write_text("mine")
    _csv(download / "sample_submission.csv", id=[str(n) for n in range(5)], label=0)  # the download changed
    with pytest.raises(DataError) as info:
        build_competition(spec, seed=0)
    message = str(info.value)
    assert "\n" not in message and "1 file kit did not write (notes.txt)" in message
    assert "competition.dir" in message and "choose another output folder" not in message
    assert (out / "notes.txt").read_text() == "mine" and len(load_competition(out).sample_submission) == 6


def test_run_does_not_replace_a_user_folder_beside_the_download(download):
    """`kit run` imports dl/ into dl.kit/: a dl.kit/ that kit did not make stays as it is."""
    from kit.pipeline.stages import build_competition

    user = user_folder(download.parent / "dl.kit")
    with pytest.raises(DataError, match="dl.kit was not made by kit") as info:
        build_competition({"dir": str(download), "import": {"n_classes": 2}}, seed=0)
    assert untouched(user) and sorted(p.name for p in user.iterdir()) == ["notes.txt", "sub"]
    message = str(info.value)  # kit run has no output option: the advice names what to do instead
    assert "choose another output folder" not in message and "\n" not in message
    assert "rename or move" in message and "competition.dir" in message


def test_full_disk_while_making_leaves_no_folder_and_keeps_the_old_one(tmp_path, monkeypatch, digits):
    old = make_competition(digits, tmp_path / "c", seed=1)
    before = (old / "hidden" / "solution.csv").read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(np, "savez", full)
    for out, overwrite in ((tmp_path / "new", False), (old, True)):
        with pytest.raises(DataError, match="images.npz: no space left on device") as info:
            make_competition(digits, out, seed=2, overwrite=overwrite)
        assert str(info.value).startswith(f"{out / 'images.npz'}: ")  # the folder asked for, not the staging one
    assert not (tmp_path / "new").exists()
    assert (old / "hidden" / "solution.csv").read_bytes() == before  # the old competition, whole
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
