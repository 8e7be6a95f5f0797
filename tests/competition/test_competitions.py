"""Each competition type end to end: make -> perfect scores 1.0 -> shuffled near chance -> malformed rejected."""
import filecmp

import numpy as np
import pandas as pd
import pytest

from kit.competition import load_competition, make_competition, score_submission, validate_submission
from kit.data import load_source
from kit.errors import DataError, SubmissionError


@pytest.fixture(scope="module")
def digits():
    return load_source({"kind": "digits"})


@pytest.fixture(scope="module")
def two_sources():
    d = load_source({"kind": "digits"})
    d.class_names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    return d


def perfect_and_shuffled(comp_dir):
    sol = pd.read_csv(comp_dir / "hidden" / "solution.csv", dtype={"id": str})
    perfect = sol[["id", "label"]].copy()
    shuffled = perfect.copy()
    shuffled["label"] = np.random.default_rng(0).permutation(shuffled["label"].to_numpy())
    return sol, perfect, shuffled


def chance_band(p, n):
    """Shuffling keeps label frequencies; its accuracy is p +- 5 standard errors."""
    se = np.sqrt(p * (1 - p) / n)
    return p - 5 * se, p + 5 * se


@pytest.mark.parametrize("labels_per_class", [0, 5])
def test_label_competition(tmp_path, digits, labels_per_class):
    comp_dir = make_competition(digits, tmp_path / "c", "label", labels_per_class=labels_per_class, seed=3)
    comp = load_competition(comp_dir)
    assert comp.metric == ("accuracy" if labels_per_class else "cluster_accuracy")
    n_rows = len(digits) - 10 * labels_per_class
    assert len(comp.sample_submission) == n_rows and len(comp.images) == len(digits)
    if labels_per_class:
        assert len(comp.labeled) == 50 and np.bincount(comp.labeled.labels).tolist() == [5] * 10
        assert not set(comp.labeled.ids) & set(comp.submission_ids)
    sol, perfect, shuffled = perfect_and_shuffled(comp_dir)
    assert (sol["Usage"] == "Public").sum() == round(0.3 * n_rows)
    s = score_submission(perfect, sol, comp.metric)
    assert s["public"] == 1.0 and s["private"] == 1.0 and s["nmi"] == pytest.approx(1.0)
    # a relabelled perfect partition is perfect for clustering, useless for plain accuracy
    permuted = perfect.assign(label=(perfect["label"] + 1) % 10)
    assert score_submission(permuted, sol, comp.metric)["private"] == (0.0 if labels_per_class else 1.0)
    s = score_submission(shuffled, sol, comp.metric)
    lo, hi = chance_band(0.1, s["n_private"])
    assert s["nmi"] < 0.05
    if comp.metric == "accuracy":
        assert lo < s["private"] < hi
    else:  # Hungarian matching lifts chance a little above 1/k
        assert s["private"] < 0.2


def test_binary_competition(tmp_path, two_sources):
    groups = [["zero", "one", "two"], ["seven", "eight"]]
    comp_dir = make_competition(two_sources, tmp_path / "b", "binary", groups=groups, seed=0)
    comp = load_competition(comp_dir)
    assert comp.metric == "binary_accuracy" and comp.n_classes == 2
    assert len(comp.images) == int(np.isin(two_sources.labels, [0, 1, 2, 7, 8]).sum())
    sol, perfect, shuffled = perfect_and_shuffled(comp_dir)
    assert score_submission(perfect, sol, comp.metric)["private"] == 1.0
    flipped = perfect.assign(label=1 - perfect["label"])  # which source is "0" is arbitrary
    assert score_submission(flipped, sol, comp.metric)["public"] == 1.0
    s = score_submission(shuffled, sol, comp.metric)
    assert 0.5 <= s["private"] < 0.6
    with pytest.raises(SubmissionError, match="labels must be 0 or 1: line 2 has 2"):
        score_submission(perfect.assign(label=[2] + perfect["label"].tolist()[1:]), sol, comp.metric)
    with pytest.raises(Exception, match="not a class of the source"):
        make_competition(two_sources, tmp_path / "x", "binary", groups=[["zero"], ["eleven"]])


def test_pairs_competition(tmp_path, digits):
    comp_dir = make_competition(digits, tmp_path / "p", "pairs", n_pairs=1000, seed=0)
    comp = load_competition(comp_dir)
    assert comp.metric == "pair_accuracy" and len(comp.pairs) == 1000
    sol, perfect, shuffled = perfect_and_shuffled(comp_dir)
    assert 0.4 < sol["label"].mean() < 0.6  # about half same-class pairs
    assert (comp.pairs["image1"] != comp.pairs["image2"]).all()
    assert score_submission(perfect, sol, comp.metric)["public"] == 1.0
    s = score_submission(shuffled, sol, comp.metric)
    assert 0.35 < s["private"] < 0.65


def test_split_is_deterministic(tmp_path, digits):
    a = make_competition(digits, tmp_path / "a", "label", labels_per_class=2, seed=7)
    b = make_competition(digits, tmp_path / "b", "label", labels_per_class=2, seed=7)
    c = make_competition(digits, tmp_path / "c", "label", labels_per_class=2, seed=8)
    for name in ("hidden/solution.csv", "labeled.csv", "sample_submission.csv", "images.npz"):
        assert filecmp.cmp(a / name, b / name, shallow=False), name
    assert not filecmp.cmp(a / "hidden/solution.csv", c / "hidden/solution.csv", shallow=False)


def test_refuses_to_overwrite_and_needs_labels(tmp_path, digits):
    make_competition(digits, tmp_path / "a", "label")
    with pytest.raises(DataError, match="already exists"):
        make_competition(digits, tmp_path / "a", "label")
    make_competition(digits, tmp_path / "a", "label", overwrite=True)
    with pytest.raises(DataError, match="fully labeled source"):
        make_competition(digits.without_labels(), tmp_path / "u", "label")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temp folders left behind"


@pytest.fixture
def label_comp(tmp_path, digits):
    comp_dir = make_competition(digits.subset(np.arange(200)), tmp_path / "c", "label", labels_per_class=2)
    comp = load_competition(comp_dir)
    return comp, comp.sample_submission.assign(label=1)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda s: s.rename(columns={"label": "Category"}), "wrong header: expected id,label, got id,Category"),
        (lambda s: s.iloc[:-3], r"expected 180 rows, got 177; missing ids"),
        (lambda s: pd.concat([s, s.iloc[[4]]]), r"duplicate id 'img_\d+' on lines \[6, 182\]"),
        (lambda s: s.assign(id=["nope"] + s["id"].tolist()[1:]), "unknown id.*'nope' on line 2"),
        (lambda s: s.assign(label=[""] * 3 + [1] * (len(s) - 3)), r"empty or NaN cell on line\(s\) \[2, 3, 4\]"),
        (lambda s: s.assign(label=[np.nan] + [1] * (len(s) - 1)), r"empty or NaN cell on line\(s\) \[2\]"),
        (lambda s: s.assign(label=["cat"] + [1] * (len(s) - 1)), "label must be an integer: line 2 has 'cat'"),
        (lambda s: s.assign(label=[1.5] + [1] * (len(s) - 1)), "label must be an integer: line 2"),
        (lambda s: s.assign(label=[1] * 5 + [10] + [1] * (len(s) - 6)), r"class indices in \[0, 10\): line 7 has 10"),
    ],
)
def test_malformed_submissions_name_the_first_bad_rows(label_comp, tmp_path, mutate, message):
    comp, good = label_comp
    path = tmp_path / "sub.csv"
    mutate(good).to_csv(path, index=False)
    with pytest.raises(SubmissionError, match=message):
        validate_submission(path, comp)
    with pytest.raises(SubmissionError, match=message):
        score_submission(path, comp.solution_path, comp.metric)


def test_valid_submission_is_reordered_like_sample(label_comp):
    comp, good = label_comp
    shuffled = good.sample(frac=1.0, random_state=0)
    out = validate_submission(shuffled, comp)
    assert out["id"].tolist() == comp.sample_submission["id"].tolist()


def test_validate_by_type_limits_labels_to_0_1(label_comp):
    comp, good = label_comp
    sub = good.assign(label=[3] + [1] * (len(good) - 1))
    assert validate_submission(sub, comp.sample_submission)["label"].iloc[0] == 3  # no type: any integer
    for kind in ("binary", "pairs"):
        with pytest.raises(SubmissionError, match="labels must be 0 or 1: line 2 has 3"):
            validate_submission(sub, comp.sample_submission, kind)
