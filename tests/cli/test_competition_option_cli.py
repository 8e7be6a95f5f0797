"""-c/--competition in the commands that took the competition folder as their last positional argument (pretrain,
finetune, refine, extract, submit): the positional form still reaches the same code, with one deprecation line;
neither, or two different folders, is a usage error (exit 2, one 'Error:' line) before any work."""
import numpy as np
import pytest

from kit.competition import load_competition, make_competition
from kit.data import load_source
from tests.cli_main import kit_main

COMMANDS = ("pretrain", "finetune", "refine", "extract", "submit")


def deprecation_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if "deprecated" in line]


@pytest.fixture(scope="module")
def comp(tmp_path_factory):
    root = tmp_path_factory.mktemp("compopt")
    src = load_source({"kind": "digits", "limit": 200})
    comp_dir = make_competition(src, root / "c", "label", labels_per_class=3)
    # submit: a pairs competition, whose clusters need no label mapping
    pairs = make_competition(src, root / "p", "pairs", n_pairs=60)
    ids = load_competition(pairs).images.ids
    P = np.random.default_rng(0).dirichlet(np.ones(5), len(ids))
    np.savez(root / "clusters.npz", ids=ids, clusters=P.argmax(1), probabilities=P)
    return comp_dir, pairs, root / "clusters.npz"


def _before(command, tmp_path, clusters):
    """The arguments before the competition folder (the model, or the clusters)."""
    return {"pretrain": [], "finetune": [tmp_path / "model"], "refine": [tmp_path / "model"], "extract": ["raw"],
            "submit": [clusters]}[command]


def _recorder(monkeypatch):
    """Replace the training functions by ones that record their arguments and write nothing."""
    import kit.pipeline.stages
    import kit.train.finetune
    import kit.train.pretrain

    calls = []

    def fake(name, out_at):
        def record(*args, **kwargs):
            calls.append((name, args, kwargs))
            return args[out_at]
        return record

    monkeypatch.setattr(kit.train.pretrain, "pretrain", fake("pretrain", 1))
    monkeypatch.setattr(kit.train.finetune, "finetune", fake("finetune", 3))
    monkeypatch.setattr(kit.pipeline.stages, "refine_stage", fake("refine", 5))
    return calls


def _same(a, b) -> bool:
    """Arguments equal; numpy arrays (images, labels) and competitions compared by value."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if type(a).__name__ == "Competition":
        return a.dir == b.dir
    return a == b


@pytest.mark.parametrize("command", ["pretrain", "finetune", "refine"])
def test_training_commands_take_c_as_the_positional(tmp_path, comp, capsys, monkeypatch, command):
    comp_dir, _, clusters = comp
    calls = _recorder(monkeypatch)
    before, out = _before(command, tmp_path, clusters), tmp_path / "out"
    code, _, err = kit_main(capsys, command, *before, comp_dir, "-o", out)  # deprecated: one line says so
    assert code == 0, err
    assert deprecation_lines(err) == [f"kit {command}: the COMPETITION argument is deprecated and will be removed; "
                                      f"write -c {comp_dir} (the competition is -c/--competition in every command)"]
    for form in (["-c", comp_dir], ["--competition", comp_dir]):
        code, _, err = kit_main(capsys, command, *before, *form, "-o", out)
        assert code == 0 and deprecation_lines(err) == [], err
    code, _, err = kit_main(capsys, command, "-c", comp_dir, *before, "-o", out)  # -c before the other positional
    assert code == 0 and deprecation_lines(err) == [], err
    assert [c[0] for c in calls] == [command] * 4
    assert all(_same(calls[0], c) for c in calls[1:]), calls


def test_extract_takes_c_as_the_positional(tmp_path, comp, capsys):
    comp_dir, _, _ = comp
    code, _, err = kit_main(capsys, "extract", "raw", comp_dir, "-o", tmp_path / "a.npz")
    assert code == 0 and len(deprecation_lines(err)) == 1, err
    assert kit_main(capsys, "extract", "raw", "-c", comp_dir, "-o", tmp_path / "b.npz")[0] == 0
    assert kit_main(capsys, "extract", "-c", comp_dir, "raw", "-o", tmp_path / "c.npz")[0] == 0
    a = np.load(tmp_path / "a.npz")
    for name in ("b.npz", "c.npz"):
        b = np.load(tmp_path / name)
        assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)


def test_submit_takes_c_before_or_after_the_clusters(tmp_path, comp, capsys):
    _, comp_dir, clusters = comp
    outs = []
    for i, (args, deprecated) in enumerate([([clusters, comp_dir], 1), (["-c", comp_dir, clusters], 0),
                                            ([clusters, "--competition", comp_dir], 0),
                                            ([clusters, comp_dir, "-c", comp_dir], 1)]):  # both, the same folder: fine
        out = tmp_path / f"s{i}.csv"
        code, _, err = kit_main(capsys, "submit", *args, "-o", out, "--seed", "1")
        assert code == 0 and len(deprecation_lines(err)) == deprecated, err
        outs.append(out.read_text())
    assert len(set(outs)) == 1


@pytest.mark.parametrize("command", COMMANDS)
def test_two_different_folders_is_a_usage_error(tmp_path, comp, capsys, monkeypatch, command):
    comp_dir, _, clusters = comp
    _recorder(monkeypatch)
    other = tmp_path / "other"
    code, _, err = kit_main(capsys, command, *_before(command, tmp_path, clusters), comp_dir, "-c", other,
                         "-o", tmp_path / "out")
    assert code == 2, err
    assert err.count("Error:") == 1 and "Traceback" not in err
    line = next(x for x in err.splitlines() if x.startswith("Error:"))
    assert f"COMPETITION argument {comp_dir}" in line and f"-c/--competition {other}" in line, err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("command", COMMANDS)
def test_no_competition_is_a_usage_error(tmp_path, comp, capsys, monkeypatch, command):
    _, _, clusters = comp
    _recorder(monkeypatch)
    code, _, err = kit_main(capsys, command, *_before(command, tmp_path, clusters), "-o", tmp_path / "out")
    assert code == 2, err
    assert err.count("Error:") == 1 and "Error: give the competition folder: -c/--competition PATH" in err, err
    assert err.startswith(f"Usage: kit {command}") and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lists_the_option_not_the_old_positional(command, capsys):
    from kit.cli.main import main

    main([command, "-h"])  # help: returns (click's standalone_mode=False), exit code 0
    out = capsys.readouterr().out
    assert "--competition" in out and "-c" in out and "COMPETITION]" not in out.upper()


def test_a_deprecation_line_is_never_wrapped(tmp_path, comp, capsys, monkeypatch):
    """Off a terminal (a log, CI) rich wrapped at 80 columns; the line is whole whatever the width."""
    comp_dir, _, _ = comp
    monkeypatch.setenv("COLUMNS", "40")
    deep = tmp_path / ("a-long-folder-name" * 4)
    deep.mkdir()
    long_comp = deep / "c"
    long_comp.symlink_to(comp_dir)
    code, _, err = kit_main(capsys, "extract", "raw", long_comp, "-o", tmp_path / "a.npz")
    assert code == 0, err
    assert deprecation_lines(err) == [f"kit extract: the COMPETITION argument is deprecated and will be removed; "
                                      f"write -c {long_comp} (the competition is -c/--competition in every command)"]


def test_competition_arg():
    from pathlib import Path

    import typer

    from kit.cli.options import competition_arg

    assert competition_arg(Path("a"), None, "x") == Path("a") and competition_arg(None, Path("b"), "x") == Path("b")
    assert competition_arg(Path("a/"), Path("./a"), "x") == Path("a")
    for positional, option in ((None, None), (Path("a"), Path("b"))):
        with pytest.raises(typer.BadParameter):
            competition_arg(positional, option, "x")
