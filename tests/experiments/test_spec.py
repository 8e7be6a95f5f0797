"""Experiment files are validated at load: every mistake is one line naming the key, before anything trains."""
import copy
from pathlib import Path

import pytest
import yaml

from kit.errors import ConfigError, KitError
from kit.experiments import load_experiment, parse_experiment
from kit.experiments.run import part_cells

FILES = sorted(Path("configs/experiments").glob("*.yaml"))
BASE = {"name": "b", "competition": {"dir": "competitions/x", "make": {"source": {"kind": "digits"}}},
        "pretrain": {"model": "mlp_ae", "epochs": 1}, "cluster": {"method": "kmeans", "n_clusters": 10}}
GOOD = {"name": "e", "base": BASE, "parts": [
    {"title": "A", "sweep": {"pretrain.epochs": [1, 2]}, "figures": [{"kind": "reconstructions", "only": ["epochs=1"]}]},
    {"title": "B", "variants": {"mlp": {}, "conv": {"pretrain.model": "conv_ae4"}}, "figures": ["confusions"]}]}


def test_the_shipped_experiments_load_and_name_five_reports():
    exps = [load_experiment(f) for f in FILES]
    assert len(exps) == 5 and len({e.name for e in exps}) == 5
    kinds = {f["kind"] for e in exps for p in e.parts for f in p.figures}
    assert {"reconstructions", "embeddings", "denoising", "interpolation", "anomaly", "confusions", "correlation",
            "checkpoint_curve"} <= kinds


def test_good_spec_and_its_cells():
    exp = parse_experiment(copy.deepcopy(GOOD))
    a, b = (part_cells("b", p) for p in exp.parts)
    assert [c.label for c in a] == ["epochs=1", "epochs=2"] and [c.overrides for c in a] == [["pretrain.epochs=1"], ["pretrain.epochs=2"]]
    assert [c.name for c in b] == ["b-mlp", "b-conv"] and b[1].overrides == ['pretrain.model="conv_ae4"']


def _bad(mutate):
    raw = copy.deepcopy(GOOD)
    mutate(raw)
    return raw


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r.update(prts=[]), "unknown key 'prts'; did you mean 'parts'"),
    (lambda r: r.pop("base"), "'base' is required"),
    (lambda r: r.update(parts=[]), "'parts' is required"),
    (lambda r: r["parts"][0].update(variants={"x": {}}), "exactly one of 'sweep'"),
    (lambda r: r["parts"][0].update(sweep={"pretrain.epochs": []}), "non-empty list"),
    (lambda r: r["parts"][0].update(figures=[{"kind": "reconstruction"}]), "did you mean 'reconstructions'"),
    (lambda r: r["parts"][0].update(figures=[{"kind": "denoising", "sigm": 0.3}]), "did you mean 'sigma'"),
    (lambda r: r["parts"][1].update(figures=[{"kind": "confusions", "only": ["mpl"]}]), "did you mean 'mlp'"),
    (lambda r: r["parts"][1].update(title="A"), "part titles must differ"),
    (lambda r: r["parts"][1].update(variants={"a b": {}}), "plain name"),
    (lambda r: r.update(name="../x"), "plain folder name"),
])
def test_bad_specs_fail_with_one_line(mutate, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
        parse_experiment(_bad(mutate))
    assert "\n" not in str(e.value)


def test_overrides_scale_the_base_and_holdout(tmp_path):
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump({**GOOD, "holdout": "fashion_mnist,split=test"}))
    exp = load_experiment(path, ["pretrain.epochs=3", "holdout=null"])
    assert exp.base["pretrain"]["epochs"] == 3 and exp.holdout is None
    with pytest.raises(ConfigError, match=str(path)):
        load_experiment(path, ["=3"])


def test_run_checks_every_part_before_training(tmp_path):
    """A bad key in the last part fails before the first part's runs start (no run folder is written)."""
    from kit.experiments import run_experiment

    raw = _bad(lambda r: r["parts"][1]["variants"].update(bad={"pretrain.epochz": 2}))
    raw["base"]["competition"]["dir"] = str(tmp_path / "comp")
    with pytest.raises(ConfigError, match="part 'B'.*epochz"):
        run_experiment(parse_experiment(raw), out=tmp_path / "reports", runs_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    raw = _bad(lambda r: r["parts"][0].update(sweep={"competition.make.n_images": [100, 200]}, figures=[]))
    raw["base"]["competition"]["dir"] = str(tmp_path / "comp")
    with pytest.raises(ConfigError, match="cannot change the competition"):
        run_experiment(parse_experiment(raw), out=tmp_path / "reports", runs_dir=tmp_path / "runs")


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not a UTF-8 text file (byte 0x89 at offset 0)"),
    (b"name: e\nparts:\n  - title: A\n   sweep: {}\n", "invalid YAML at line 4, column"),
    (b"name: e\x07\n", "not a YAML text file (control character #x0007"),
])
def test_unreadable_experiment_files_are_one_line(tmp_path, content, message):
    """Experiment and sweep files go through the run-config reader: one line naming the file, no traceback."""
    path = tmp_path / "e.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as e:
        load_experiment(path)
    assert str(e.value).startswith(f"{path}: {message}") and "\n" not in str(e.value)


def _figure(fig):
    return _bad(lambda r: r["parts"][0].update(figures=[fig]))


@pytest.mark.parametrize("fig, message", [
    ({"kind": "interpolation", "classes": "seven"}, "(interpolation).classes must be a list of two class ids"),
    ({"kind": "interpolation", "classes": [7]}, "(interpolation).classes must be a list of two class ids"),
    ({"kind": "interpolation", "classes": [7, -1]}, "got [7, -1]"),
    ({"kind": "interpolation", "indices": [0, 1.5]}, "(interpolation).indices must be a list of two image positions"),
    ({"kind": "interpolation", "classes": [1, 2], "indices": [0, 1]}, "not both"),
    ({"kind": "interpolation", "steps": 0}, "(interpolation).steps must be an integer >= 1, got 0"),
    ({"kind": "reconstructions", "n": -4}, "(reconstructions).n must be an integer >= 1, got -4"),
    ({"kind": "reconstructions", "n": True}, "(reconstructions).n must be an integer >= 1, got True"),
    ({"kind": "denoising", "sigma": 0}, "(denoising).sigma must be a number > 0, got 0"),
    ({"kind": "denoising", "sigma": "high"}, "(denoising).sigma must be a number > 0, got 'high'"),
    ({"kind": "embeddings", "color": "labels"}, "(embeddings).color must be one of label, cluster; got 'labels'"),
    ({"kind": "embeddings", "max_points": 0}, "(embeddings).max_points must be an integer >= 1"),
    ({"kind": "anomaly", "ood": "nowhere.npz"}, "(anomaly).ood: no such image set file nowhere.npz"),
    ({"kind": "anomaly", "n_examples": -1}, "(anomaly).n_examples must be an integer >= 1"),
    ({"kind": "checkpoint_curve", "max_images": 0}, "(checkpoint_curve).max_images must be an integer >= 1"),
])
def test_bad_figure_values_fail_at_load(fig, message):
    with pytest.raises(ConfigError) as e:
        parse_experiment(_figure(fig))
    assert message in str(e.value) and str(e.value).startswith("parts[0].figures[0]") and "\n" not in str(e.value)


def test_good_figure_values_load():
    for fig in ({"kind": "interpolation", "classes": [7, 7], "steps": 4}, {"kind": "interpolation", "indices": [0, 5]},
                {"kind": "denoising", "sigma": 0.3, "n": 4}, {"kind": "embeddings", "color": "cluster", "max_points": 10},
                {"kind": "reconstructions", "n": 8}, {"kind": "checkpoint_curve", "max_images": 100}):
        parse_experiment(_figure(fig))


def test_figures_are_checked_against_the_competition():
    from kit.experiments.spec import check_figures_against

    exp = parse_experiment(_figure({"kind": "interpolation", "classes": [7, 99]}))
    with pytest.raises(ConfigError, match=r"classes: class 99 is not a class of the competition \(its classes are "
                                          r"0 \.\. 9\)"):
        check_figures_against(exp, 10, 300)
    check_figures_against(exp, None, 300)  # a binary or pairs competition: class ids are not checked
    exp = parse_experiment(_figure({"kind": "interpolation", "indices": [0, 300]}))
    with pytest.raises(ConfigError, match=r"indices: position 300 is past the competition's 300 images"):
        check_figures_against(exp, 10, 300)
    check_figures_against(exp, 10, 301)


@pytest.mark.parametrize("base, message", [
    ("latin1.yaml", "'base' must be a mapping (the run config every run of the experiment starts from), got the "
                    "string 'latin1.yaml'; a file name is not read"),
    ([1, 2], "'base' must be a mapping (the run config every run of the experiment starts from), got list [1, 2]"),
])
def test_a_base_that_is_not_a_mapping_says_so(tmp_path, base, message):
    with pytest.raises(ConfigError) as e:
        parse_experiment({**copy.deepcopy(GOOD), "base": base})
    assert message in str(e.value) and "is required" not in str(e.value)
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump({**GOOD, "base": base}))
    with pytest.raises(ConfigError) as e:  # with overrides too: they apply to the base
        load_experiment(path, ["pretrain.epochs=1"])
    assert message in str(e.value)


def test_run_checks_figure_classes_against_the_competition_before_training(tmp_path, monkeypatch):
    from kit.experiments import run_experiment, sweep

    def refuse(*a, **kw):
        raise AssertionError("run_pipeline was called: the figure check must come before any training")

    monkeypatch.setattr(sweep, "run_pipeline", refuse)
    raw = _figure({"kind": "interpolation", "classes": [7, 99]})
    raw["base"]["competition"] = {"dir": str(tmp_path / "comp"),
                                  "make": {"source": {"kind": "digits"}, "n_images": 100}}
    with pytest.raises(ConfigError, match=r"parts\[0\]\.figures\[0\] \(interpolation\)\.classes: class 99 is not"):
        run_experiment(parse_experiment(raw), out=tmp_path / "reports", runs_dir=tmp_path / "runs")
    (tmp_path / "ofile").write_text("x")
    (tmp_path / "comp2").mkdir()
    raw["base"]["competition"]["dir"] = str(tmp_path / "comp2" / "c")
    with pytest.raises(KitError, match=r"ofile is a file, so .*cannot be created inside it"):
        run_experiment(parse_experiment(raw), out=tmp_path / "ofile", runs_dir=tmp_path / "runs")
    assert not (tmp_path / "comp2" / "c").exists()  # failed before the competition was built


def test_holdout_is_a_source_checked_at_load(tmp_path, capsys):
    """KIND:key=value (as --holdout-source and a reduce --step), a mapping, or the old comma form with one line."""
    want = {"kind": "fashion_mnist", "split": "test", "limit": 500}
    for holdout, line in (("fashion_mnist:split=test,limit=500", False), (dict(want), False),
                          ("fashion_mnist,split=test,limit=500", True)):
        capsys.readouterr()
        assert parse_experiment({**copy.deepcopy(GOOD), "holdout": holdout}).holdout == want
        assert ("deprecated" in capsys.readouterr().err) == line
    for bad, match in (("split=test", "expected NAME"), ({"split": "test"}, "needs a 'kind'")):
        with pytest.raises(ConfigError, match=match):
            parse_experiment({**copy.deepcopy(GOOD), "holdout": bad})
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(GOOD))
    assert load_experiment(path, ["holdout=digits:limit=400"]).holdout == {"kind": "digits", "limit": 400}
