"""`kit competition make` / `info` through the Typer app; `import` through the real entry point."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import pandas as pd
from PIL import Image
from typer.testing import CliRunner

import kit.cli.main  # noqa: F401  registers every command
from kit.cli.app import app
from kit.competition import load_competition
from kit.errors import ConfigError, DataError

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], terminal_width=200)


def test_make_from_source_kind_with_labels(tmp_path):
    res = invoke("competition", "make", "--source", "digits", "-O", "limit=200", "--labels-per-class", "2",
                 "--public-fraction", "0.4", "--seed", "5", "--name", "tiny", "--out", tmp_path / "c")
    assert res.exit_code == 0, res.output
    comp = load_competition(tmp_path / "c")
    assert comp.name == "tiny" and comp.metric == "accuracy" and len(comp.labeled) == 20 and len(comp.images) == 200
    sol = pd.read_csv(tmp_path / "c" / "hidden" / "solution.csv")
    assert (sol["Usage"] == "Public").sum() == 72  # 0.4 x 180 rows
    meta = json.loads((tmp_path / "c" / "competition.json").read_text())
    assert meta["source"] == {"kind": "digits", "limit": 200} and meta["seed"] == 5
    res = invoke("competition", "info", tmp_path / "c")
    assert res.exit_code == 0 and "accuracy" in res.output and "180" in res.output


def test_make_from_source_file_binary_and_pairs(tmp_path):
    assert invoke("data", "ingest", "digits", "-O", "limit=300", "--out", tmp_path / "d.npz").exit_code == 0
    res = invoke("competition", "make", "--source-file", tmp_path / "d.npz", "--type", "binary", "--groups", "0,1;7,8",
                 "--out", tmp_path / "b")
    assert res.exit_code == 0, res.output
    b = load_competition(tmp_path / "b")
    assert b.metric == "binary_accuracy" and b.class_names == ["0+1", "7+8"] and 100 < len(b.images) < 140
    res = invoke("competition", "make", "--source-file", tmp_path / "d.npz", "--type", "pairs", "--n-pairs", "50",
                 "--n-images", "100", "--out", tmp_path / "p")
    assert res.exit_code == 0, res.output
    p = load_competition(tmp_path / "p")
    assert len(p.pairs) == 50 and len(p.images) == 100


def test_make_refuses_to_overwrite_unless_asked(tmp_path):
    args = ["competition", "make", "--source", "digits", "-O", "limit=50", "--out", tmp_path / "c"]
    assert invoke(*args).exit_code == 0
    res = invoke(*args)
    assert isinstance(res.exception, DataError) and "already exists" in str(res.exception)
    assert invoke(*args, "--overwrite", "--seed", "1").exit_code == 0


def test_make_needs_exactly_one_source_and_sane_groups(tmp_path):
    res = invoke("competition", "make", "--out", tmp_path / "c")
    assert isinstance(res.exception, ConfigError) and "exactly one of --source" in str(res.exception)
    res = invoke("competition", "make", "--source", "digits", "--type", "binary", "--groups", "0,1", "--out", tmp_path / "c")
    assert isinstance(res.exception, ConfigError) and "--groups must be two" in str(res.exception)
    assert not (tmp_path / "c").exists()


def _download(d):
    """Two image folders and a sample submission, no labels: the usual unlabeled Kaggle clustering download."""
    for folder, names in (("test", ["a", "b", "c"]), ("train", ["x", "y"])):
        (d / folder).mkdir(parents=True)
        for n, name in enumerate(names):
            Image.fromarray(np.full((4, 4), 40 * n, np.uint8)).save(d / folder / f"{name}.png")
    pd.DataFrame({"id": ["a.png", "b.png", "c.png"], "label": 0}).to_csv(d / "sample_submission.csv", index=False)
    return d


def kit_cli(*args):
    env = {**os.environ, "NO_ALBUMENTATIONS_UPDATE": "1", "COLUMNS": "400"}
    return subprocess.run([sys.executable, "-m", "kit", *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=300)


def test_import_through_the_entry_point(tmp_path):
    d = _download(tmp_path / "dl")
    res = kit_cli("competition", "import", d, "-o", tmp_path / "c", "--n-classes", "3", "--name", "kaggle")
    assert res.returncode == 0, res.stderr
    comp = load_competition(tmp_path / "c")
    assert comp.name == "kaggle" and comp.metric == "cluster_accuracy" and len(comp.images) == 5
    assert comp.submission_ids.tolist() == ["a.png", "b.png", "c.png"] and not comp.solution_path.exists()
    assert "cluster_accuracy" in res.stdout and "absent" in res.stdout  # the info table of the new folder
    res = kit_cli("competition", "import", d, "-o", tmp_path / "c2", "--n-classes", "3", "--no-extras",
                  "--images", d / "test")
    assert res.returncode == 0, res.stderr
    assert len(load_competition(tmp_path / "c2").images) == 3


@pytest.mark.parametrize("labels, n_classes, missing", [((1, 7, 8, 7), None, [0, 2, 3, 4, 5, 6]),
                                                       ((0, 1, 2, 1), None, []), (("cat", "dog", "cat", "dog"), 3, [2])])
def test_import_names_the_classes_no_label_shows(tmp_path, labels, n_classes, missing):
    """Integer labels are class ids 0 .. max: {1, 7, 8} make 9 classes, and the 6 never shown are named in one line."""
    d = _download(tmp_path / "dl")
    (d / "train" / "z.png").write_bytes((d / "train" / "x.png").read_bytes())
    (d / "train" / "w.png").write_bytes((d / "train" / "y.png").read_bytes())
    pd.DataFrame({"id": ["x.png", "y.png", "z.png", "w.png"], "label": labels}).to_csv(d / "train.csv", index=False)
    res = kit_cli("competition", "import", d, "-o", tmp_path / "c", *(["--n-classes", n_classes] if n_classes else []))
    assert res.returncode == 0, res.stderr
    comp = load_competition(tmp_path / "c")
    assert comp.unlabeled_classes == missing
    line = [ln for ln in res.stderr.splitlines() if "have no labeled image" in ln]
    if missing:
        assert len(line) == 1 and line[0].startswith(f"{len(missing)} of the {comp.n_classes} classes"), res.stderr
        assert ("(0, 2, 3, 4, 5, 6)" in line[0]) == (labels[0] == 1)
    else:
        assert not line


def test_import_errors_exit_2_with_one_line(tmp_path):
    d = _download(tmp_path / "dl")
    for args, message in [((), "--n-classes is required"),
                          (("--n-classes", "3", "--resize", "big"), "--resize must look like"),
                          (("--n-classes", "3", "--labels", "nope.csv"), "--labels nope.csv: no such file")]:
        res = kit_cli("competition", "import", d, "-o", tmp_path / "c", *args)
        assert res.returncode == 2, (args, res.stderr)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0] and "Traceback" not in res.stderr, res.stderr
    (d / "sample_submission.csv").unlink()
    res = kit_cli("competition", "import", d, "-o", tmp_path / "c", "--n-classes", "3")
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "no sample_submission.csv" in res.stderr
    assert not (tmp_path / "c").exists()


def test_make_and_import_never_replace_the_current_folder(tmp_path, monkeypatch, capsys):
    from tests.cli_main import kit_main

    d = _download(tmp_path / "dl")
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    for args in (["make", "--source", "digits", "-O", "limit=50"], ["import", d, "--n-classes", "3"]):
        for out in (".", ".."):
            code, _, err = kit_main(capsys, "competition", *args, "-o", out, "--overwrite")
            assert code == 2 and err.count("\n") == 1 and "kit never deletes or replaces it" in err, err
    assert sorted(p.name for p in work.iterdir()) == ["notes.txt"] and (work / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dl", "work"]


def test_make_on_a_full_disk_is_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys):
    from tests.cli.test_output_errors_cli import disk_full
    from tests.cli_main import kit_main

    disk_full(monkeypatch, np, "savez")
    code, _, err = kit_main(capsys, "competition", "make", "--source", "digits", "-O", "limit=50", "-o", tmp_path / "c")
    assert code == 2 and err.count("\n") == 1 and "images.npz: no space left on device" in err, err
    assert list(tmp_path.iterdir()) == []


def test_make_seed_out_of_range_is_a_usage_error(tmp_path, capsys):
    from tests.cli_main import kit_main

    for args in (["--seed", "-1"], ["--seed", str(2**32)], ["-O", "seed=-1"], ["-O", f"seed={2**32}"]):
        code, _, err = kit_main(capsys, "competition", "make", "--source", "digits", "-O", "limit=50", *args,
                             "-o", tmp_path / "c")
        assert code == 2 and "seed" in err and "Traceback" not in err, (args, err)
    assert list(tmp_path.iterdir()) == []
    from kit.competition import make_competition
    from kit.data import load_source

    with pytest.raises(ConfigError, match=r"seed must be an integer in 0 \.\. 4294967295, got -1"):
        make_competition(load_source({"kind": "digits", "limit": 50}), tmp_path / "c", seed=-1)


def test_overwrite_names_the_files_kit_did_not_write_that_it_deletes(tmp_path, capsys):
    """make/import --overwrite: the user asked to replace the folder; files they put in it go too, named on stderr."""
    from tests.cli_main import kit_main

    make = ["competition", "make", "--source", "digits", "-O", "limit=50", "-o", tmp_path / "c"]
    assert kit_main(capsys, *make)[0] == 0
    code, _, err = kit_main(capsys, *make, "--overwrite")
    assert code == 0 and "did not write" not in err, err  # only kit's own files: nothing to say
    (tmp_path / "c" / "notes.txt").write_text("mine")
    code, _, err = kit_main(capsys, *make, "--overwrite", "--seed", "2")
    assert code == 0 and "deleted 1 file kit did not write with the old" in err and "notes.txt" in err, err
    assert not (tmp_path / "c" / "notes.txt").exists() and load_competition(tmp_path / "c").name == "c"
    d = _download(tmp_path / "dl")
    (tmp_path / "c" / "mine").mkdir()
    code, _, err = kit_main(capsys, "competition", "import", d, "-o", tmp_path / "c", "--n-classes", "3", "--overwrite")
    assert code == 0 and "deleted 1 file kit did not write" in err and "mine/" in err, err
    assert load_competition(tmp_path / "c").metric == "cluster_accuracy"


def test_info_tables_are_results_on_stdout(tmp_path):
    """`kit competition info` / `kit data info` print their facts to stdout (a pipe gets them), as CSV on request."""
    from kit.competition import make_competition
    from kit.data import load_source

    comp = make_competition(load_source({"kind": "digits", "limit": 100}), tmp_path / "c", "label")
    for args, expected in ((["competition", "info", str(comp)], "images to predict,100"),
                           (["data", "info", str(comp / "images.npz")], "images,100")):
        res = subprocess.run([sys.executable, "-m", "kit", *args, "--format", "csv"], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        assert res.stdout.splitlines()[0] == "field,value" and expected in res.stdout.splitlines()


def test_import_resize_reads_h_w_and_the_yaml_list_of_every_source(tmp_path, capsys):
    """--resize "H,W", "HxW" and [H, W] (resize=[H,W], as every data source takes it) are one size."""
    from tests.cli_main import kit_main

    d = _download(tmp_path / "dl")
    images = []
    for i, size in enumerate(("6,5", "6x5", "[6, 5]")):
        code, _, err = kit_main(capsys, "competition", "import", d, "-o", tmp_path / f"c{i}", "--n-classes", "3",
                                "--resize", size)
        assert code == 0, (size, err)
        images.append(load_competition(tmp_path / f"c{i}").images.images)
    assert images[0].shape[1:3] == (6, 5) and all(np.array_equal(images[0], x) for x in images[1:])
    for bad in ("[6]", "6,5,4", "[6, 5.5]", "[true, 5]"):
        code, _, err = kit_main(capsys, "competition", "import", d, "-o", tmp_path / "bad", "--n-classes", "3",
                                "--resize", bad)
        assert code == 2 and "--resize must look like" in err and not (tmp_path / "bad").exists(), (bad, err)
