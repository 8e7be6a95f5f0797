"""`kit data ingest` / `kit data info` through the Typer app."""
import numpy as np
from typer.testing import CliRunner

import kit.cli.main  # noqa: F401  registers every command
from kit.cli.app import app
from kit.data import ImageSet

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_every_command_has_help():
    for cmd in (["data", "ingest"], ["data", "info"], ["competition", "make"], ["competition", "info"],
                ["competition", "import"], ["score"],
                ["submit"], ["run"], ["pretrain"], ["finetune"], ["extract"], ["reduce"], ["cluster"], ["report"]):
        res = invoke(*cmd, "--help")
        assert res.exit_code == 0, (cmd, res.output)
        assert "Usage" in res.output


def test_ingest_writes_an_image_set_and_info_shows_it(tmp_path):
    out = tmp_path / "d.npz"
    res = invoke("data", "ingest", "digits", "-O", "limit=300", "-O", "seed=3", "--opt", "resize=[10, 10]", "--out", out)
    assert res.exit_code == 0, res.output
    data = ImageSet.load(out)
    assert data.images.shape == (300, 10, 10, 1) and data.n_classes == 10
    assert np.bincount(data.labels).min() >= 27  # stratified subset
    res = runner.invoke(app, ["data", "info", str(out)], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "300" in res.output and "(10, 10, 1)" in res.output and "label counts" in res.output


def test_ingest_npy_files(tmp_path):
    np.save(tmp_path / "trainX.npy", np.random.default_rng(0).random((5, 3, 6, 6)))  # N,C,H,W floats in [0, 1]
    np.save(tmp_path / "valY.npy", np.array([0, 1, 0, 1, 1]))
    res = invoke("data", "ingest", "npy", "-O", f"x={tmp_path / 'trainX.npy'}", "-O", f"y={tmp_path / 'valY.npy'}",
                 "--out", tmp_path / "s.npz")
    assert res.exit_code == 0, res.output
    assert ImageSet.load(tmp_path / "s.npz").images.shape == (5, 6, 6, 3)


def test_ingest_errors_are_kit_errors(tmp_path):
    from kit.errors import ConfigError, DataError

    res = invoke("data", "ingest", "digits", "-O", "nonsense", "--out", tmp_path / "x.npz")
    assert isinstance(res.exception, ConfigError) and "key=value" in str(res.exception)
    res = invoke("data", "ingest", "npy", "-O", f"x={tmp_path / 'nope.npy'}", "--out", tmp_path / "x.npz")
    assert isinstance(res.exception, DataError) and "nope.npy: no such file" in str(res.exception)
    assert not (tmp_path / "x.npz").exists()


def test_info_counts_unknown_labels_apart(tmp_path):
    labels = np.array([-1, 2, -1, 0, 2, -1, 2])  # -1 = unknown: 3 unlabeled, 4 labeled
    ImageSet(ids=[f"i{n}" for n in range(7)], images=np.zeros((7, 2, 2, 1), np.uint8), labels=labels,
             class_names=["a", "b", "c"]).save(tmp_path / "s.npz")
    res = runner.invoke(app, ["data", "info", str(tmp_path / "s.npz"), "--format", "tsv"])
    assert res.exit_code == 0, res.output
    rows = dict(line.split("\t") for line in res.stdout.splitlines()[1:])
    assert rows["images"] == "7" and rows["labeled"] == "4" and rows["unlabeled"] == "3"
    assert rows["label counts"] == "a: 1, c: 3"  # no "-1" bucket, no class b


def test_info_on_an_unlabeled_set(tmp_path):
    ImageSet(ids=["p", "q"], images=np.zeros((2, 2, 2, 1), np.uint8)).save(tmp_path / "u.npz")
    res = runner.invoke(app, ["data", "info", str(tmp_path / "u.npz"), "--format", "tsv"])
    rows = dict(line.split("\t") for line in res.stdout.splitlines()[1:])
    assert rows["labeled"] == "0" and rows["unlabeled"] == "2" and rows["labels"] == "none"


def test_ingest_without_a_required_option_is_one_line(tmp_path, capsys):
    from tests.cli_main import kit_main

    code, _, err = kit_main(capsys, "data", "ingest", "npy", "-o", tmp_path / "d.npz")
    assert code == 2 and err.strip() == "error: source npy: missing required option(s) ['x'] (e.g. --opt x=...)"
    assert not (tmp_path / "d.npz").exists()
    code, _, err = kit_main(capsys, "data", "ingest", "digits", "-O", "limit=20", "-o", tmp_path)
    assert code == 2 and "is a folder; expected a file path" in err and err.count("\n") == 1


def test_ingest_seed_out_of_range_is_one_line(tmp_path, capsys):
    from tests.cli_main import kit_main

    for seed in ("-1", str(2**32), "1.5", "x"):
        code, _, err = kit_main(capsys, "data", "ingest", "digits", "-O", f"seed={seed}", "-O", "limit=50",
                             "-o", tmp_path / "d.npz")
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, (seed, err)
        assert "source digits: seed must be an integer in 0 .. 4294967295" in err, err
    assert list(tmp_path.iterdir()) == []
    assert kit_main(capsys, "data", "ingest", "digits", "-O", f"seed={2**32 - 1}", "-O", "limit=50",
                    "-o", tmp_path / "d.npz")[0] == 0
