"""competition make's class_ratio: geometric class sizes, R=1 unchanged, bad values one-line ConfigErrors."""
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from kit.competition import load_competition, make_competition
from kit.competition.make import class_sizes
from kit.config import validate_config
from kit.data import ImageSet
from kit.errors import ConfigError, DataError


def labeled_set(counts, size=4):
    labels = np.repeat(np.arange(len(counts)), counts)
    labels = labels[np.random.default_rng(5).permutation(len(labels))]
    images = np.random.default_rng(0).integers(0, 256, (len(labels), size, size, 1), dtype=np.uint8)
    return ImageSet(ids=[f"src{i}" for i in range(len(labels))], images=images, labels=labels)


def direct(available, ratio, n_images=None):
    """size_c = floor(top * R^(-c/(C-1))), top the largest every class (and n_images) allows."""
    c = len(available)
    w = [ratio ** (-i / (c - 1)) for i in range(c)]
    top = min(a / wi for a, wi in zip(available, w))
    if n_images:
        top = min(top, n_images / sum(w))
    return [min(math.floor(top * wi + 1e-9), a) for a, wi in zip(available, w)]


@pytest.mark.parametrize("available, ratio, n_images", [
    ([100] * 10, 10, None), ([180, 182, 177, 183, 181, 182, 181, 179, 174, 180], 10, None),
    ([50, 80, 30, 200], 4.5, None), ([1000] * 10, 10, 600), ([60, 60], 3, None), ([100] * 5, 1.0, 250)])
def test_sizes_follow_the_geometric_profile(available, ratio, n_images):
    sizes = class_sizes(available, ratio, n_images)
    assert sizes.tolist() == direct(available, ratio, n_images)
    assert (sizes <= available).all() and (n_images is None or sizes.sum() <= n_images)
    if ratio > 1:
        assert (np.diff(sizes) <= 0).all()
        assert sizes[0] / sizes[-1] == pytest.approx(ratio, rel=0.15)


def test_competition_has_the_profile_in_label_order(tmp_path):
    counts = [60, 50, 70, 55, 65]
    data = labeled_set(counts)
    comp = load_competition(make_competition(data, tmp_path / "c", class_ratio=5, seed=3))
    truth = pd.read_csv(comp.solution_path)["label"].to_numpy()
    assert np.bincount(truth).tolist() == direct(counts, 5) == [60, 40, 26, 17, 12]  # class 0 bounds it
    assert len(comp.images) == sum(direct(counts, 5))
    # with labels per class and a bound on the total
    comp = load_competition(make_competition(data, tmp_path / "d", class_ratio=5, n_images=80, labels_per_class=2))
    sizes = direct(counts, 5, 80)
    assert len(comp.images) == sum(sizes) <= 80
    truth = pd.read_csv(comp.solution_path)["label"].to_numpy()
    assert np.bincount(truth).tolist() == [s - 2 for s in sizes]
    assert json_make(comp)["seed"] == 0


def json_make(comp):
    import json

    return json.loads((comp.dir / "competition.json").read_text())


@pytest.mark.parametrize("kwargs", [{}, {"n_images": 40}, {"labels_per_class": 3}])
def test_ratio_one_is_todays_competition(tmp_path, kwargs):
    data = labeled_set([20, 25, 30])
    a = make_competition(data, tmp_path / "a", seed=7, **kwargs)
    b = make_competition(data, tmp_path / "b", seed=7, class_ratio=1, **kwargs)
    ca, cb = load_competition(a), load_competition(b)
    assert ca.images.ids.tolist() == cb.images.ids.tolist()
    assert np.array_equal(ca.images.images, cb.images.images)
    for name in ("sample_submission.csv", "hidden/solution.csv") + (("labeled.csv",) if kwargs.get("labels_per_class") else ()):
        assert (a / name).read_text() == (b / name).read_text()


def test_same_seed_same_competition_other_seed_other_images(tmp_path):
    data = labeled_set([40, 40, 40])
    imgs = [load_competition(make_competition(data, tmp_path / str(i), class_ratio=4, seed=s)).images.images
            for i, s in enumerate([1, 1, 2])]
    assert np.array_equal(imgs[0], imgs[1]) and not np.array_equal(imgs[0], imgs[2])


@pytest.mark.parametrize("bad", [0.5, 0, -3, float("nan"), float("inf"), "10", True])
def test_bad_ratio_is_a_one_line_config_error(tmp_path, bad):
    with pytest.raises(ConfigError, match="class_ratio") as e:
        make_competition(labeled_set([10, 10]), tmp_path / "c", class_ratio=bad)
    assert "\n" not in str(e.value)
    assert not (tmp_path / "c").exists()


def test_a_ratio_that_empties_a_class_is_a_data_error():
    with pytest.raises(DataError, match="empty"):
        class_sizes([5, 5, 5], 10, 4)


def cfg(**make):
    return {"name": "t", "cluster": {"method": "kmeans", "n_clusters": 10}, "competition": {"dir": "/nonexistent/t", "make": {"source": {"kind": "digits"}, **make}}}


def test_config_accepts_class_ratio_and_rejects_bad_values():
    assert validate_config(cfg(class_ratio=10))["competition"]["make"]["class_ratio"] == 10
    for bad in (0.5, float("nan"), "ten"):
        with pytest.raises(ConfigError, match=r"^competition\.make\.class_ratio must be") as e:
            validate_config(cfg(class_ratio=bad))
        assert "\n" not in str(e.value)


def test_cli_class_ratio(tmp_path):
    import kit.cli.main  # noqa: F401  registers every command
    from kit.cli.app import app
    from kit.data.digits import load_digits

    runner = CliRunner()
    out = tmp_path / "d"
    r = runner.invoke(app, ["competition", "make", "--source", "digits", "--class-ratio", "10", "-o", str(out)])
    assert r.exit_code == 0, r.output
    truth = pd.read_csv(out / "hidden" / "solution.csv")["label"].to_numpy()
    assert np.bincount(truth).tolist() == direct(np.bincount(load_digits().labels).tolist(), 10)
    r = runner.invoke(app, ["competition", "make", "--source", "digits", "--class-ratio", "nan", "-o", str(tmp_path / "e")])
    assert isinstance(r.exception, ConfigError) and "class_ratio must be a finite number" in str(r.exception)
    assert not (tmp_path / "e").exists()
