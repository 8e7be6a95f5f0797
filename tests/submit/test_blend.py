"""kit.submit.blend: cluster ids aligned by Hungarian matching before the vote, binary labels flipped, class labels
and pairs voted as written; weights and ties; bad inputs refused. Each oracle fails when the alignment is wrong."""
import numpy as np
import pandas as pd
import pytest

from kit.competition import load_competition, make_competition
from kit.data import load_source
from kit.errors import ConfigError, SubmissionError
from kit.metrics import cluster_accuracy
from kit.submit import align_labels, blend
from kit.submit.blend import align_binary, blend_details, vote

DIGITS = [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


@pytest.fixture(scope="module")
def comps(tmp_path_factory):
    root = tmp_path_factory.mktemp("blend")
    data = load_source({"kind": "digits", "limit": 300})
    return {
        "cluster": load_competition(make_competition(data, root / "cluster", "label")),
        "labeled": load_competition(make_competition(data, root / "labeled", "label", labels_per_class=3)),
        "binary": load_competition(make_competition(data, root / "binary", "binary", groups=DIGITS)),
        "pairs": load_competition(make_competition(data, root / "pairs", "pairs", n_pairs=150)),
    }


def truth(comp) -> np.ndarray:
    sol = pd.read_csv(comp.solution_path, dtype={"id": str}).set_index("id")
    return sol.loc[comp.submission_ids, "label"].to_numpy()


def frame(comp, labels) -> pd.DataFrame:
    return pd.DataFrame({"id": comp.submission_ids, "label": labels})


def changed(y, rows, k=10):
    """``y`` with ``rows`` given another label (in [0, k))."""
    y = np.array(y).copy()
    y[rows] = (y[rows] + 1) % k
    return y


# --- align_labels -----------------------------------------------------------------------------------------------

def test_align_labels_undoes_a_permutation():
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 6, 200)
    perm = np.array([3, 5, 0, 1, 4, 2])
    assert np.array_equal(align_labels(ref, perm[ref]), ref)
    moved = changed(ref, np.arange(0, 200, 9), 6)  # every 9th row in another cluster: the matching is still perm
    assert np.array_equal(align_labels(ref, perm[moved]), moved)


def test_align_labels_gives_unmatched_clusters_labels_of_their_own():
    ref = np.array([0, 0, 1, 1, 2, 2])
    # 7 and 8 split reference cluster 2: one of them gets 2, the other a new label (not 0 or 1)
    out = align_labels(ref, np.array([5, 5, 6, 6, 7, 8]))
    assert out[:4].tolist() == [0, 0, 1, 1] and sorted(out[4:].tolist()) == [2, 3]
    # avoid: a label already given to another input's new cluster is not reused
    assert align_labels(ref, np.array([5, 5, 6, 6, 7, 8]), avoid={3})[4:].tolist() in ([2, 4], [4, 2])
    # with the competition's label names, the new label is an unused name (the blend stays a valid submission)
    names = ["cat", "dog", "fox", "owl"]
    out = align_labels(np.array(["cat", "cat", "dog", "dog"]), np.array(["owl", "fox", "cat", "cat"]), names=names)
    assert out[2:].tolist() == ["dog", "dog"] and set(out[:2]) <= set(names) and len(set(out[:2])) == 2


def test_align_labels_on_series_matches_shared_ids_and_renames_all():
    ref = pd.Series([0, 0, 1, 1, 2], index=list("abcde"))
    other = pd.Series([9, 9, 4, 4, 7], index=list("abcdz"))  # z is not in ref; 7 matches nothing there
    out = align_labels(ref, other)
    assert out.index.tolist() == list("abcdz") and out.loc[list("abcd")].tolist() == [0, 0, 1, 1]
    assert out.loc["z"] not in (0, 1, 2)  # a new label, not ref's cluster 2 (which it shares no id with)


def test_align_binary_flips_only_below_half():
    ref = np.array([0, 0, 1, 1])
    assert align_binary(ref, [1, 1, 0, 1])[0].tolist() == [0, 0, 1, 0] and align_binary(ref, [1, 1, 0, 1])[1]
    assert align_binary(ref, [1, 0, 0, 1])[1] is False  # exactly half: left as it is
    assert align_binary(["a", "b"], ["b", "a"], ("a", "b"))[0].tolist() == ["a", "b"]


def test_vote_ties_go_to_the_highest_weight_then_the_earliest():
    x, y, z = np.array([1]), np.array([2]), np.array([3])
    assert vote([x, y, z]).tolist() == [1]  # all tied: the earliest
    assert vote([x, y, x], [1, 2, 1]).tolist() == [2]  # 1 and 2 both weigh 2: input 2 weighs most
    assert vote([x, y, z], [2, 1, 2]).tolist() == [1]  # x and z tie at 2 from equal weights: the earlier
    assert vote([x, y, y], [0.3, 0.1, 0.2]).tolist() == [1]  # 0.1 + 0.2 == 0.3 up to rounding: a tie, input 1


# --- cluster ids (cluster_accuracy) --------------------------------------------------------------------------------

def test_permuted_copies_with_a_few_changes_blend_back_to_the_original(comps):
    comp = comps["cluster"]
    y = truth(comp)
    perms = [np.array([2, 0, 1, 3, 4, 5, 6, 7, 8, 9]), np.roll(np.arange(10), 4), np.arange(10)[::-1]]
    copies = [perm[changed(y, np.arange(n, len(y), 23))] for n, perm in enumerate(perms)]  # disjoint rows changed
    out = blend([frame(comp, c) for c in copies], comp)
    assert out.columns.tolist() == ["id", "label"] and out["id"].tolist() == comp.submission_ids.tolist()
    assert np.array_equal(out["label"].to_numpy(), perms[0][y])  # the original, in the first input's cluster ids


def test_majority_of_noisy_versions_beats_each(comps):
    comp = comps["cluster"]
    y, rng = truth(comp), np.random.default_rng(1)
    versions = []
    for _ in range(3):
        v = y.copy()
        noise = rng.random(len(y)) < 0.35
        v[noise] = rng.integers(0, 10, noise.sum())
        versions.append(rng.permutation(10)[v])
    out = blend([frame(comp, v) for v in versions], comp)["label"].to_numpy()
    alone = [cluster_accuracy(y, v) for v in versions]
    assert cluster_accuracy(y, out) > max(alone) + 0.05, (cluster_accuracy(y, out), alone)


def test_weights_change_the_winner(comps):
    comp = comps["cluster"]
    y = truth(comp)
    rows = np.arange(0, len(y), 31)
    a, b = y, np.roll(np.arange(10), 1)[changed(y, rows)]  # b: renamed, and different on ``rows``
    equal = blend([frame(comp, a), frame(comp, b)], comp)["label"].to_numpy()
    assert np.array_equal(equal, a)  # a tie everywhere they differ: the first
    heavy = blend([frame(comp, a), frame(comp, b)], comp, [1, 2])["label"].to_numpy()
    assert np.array_equal(heavy, changed(y, rows))  # b wins where they differ, in a's cluster ids
    three = [frame(comp, a), frame(comp, b), frame(comp, b)]
    assert np.array_equal(blend(three, comp)["label"].to_numpy(), changed(y, rows))
    assert np.array_equal(blend(three, comp, [3, 1, 1])["label"].to_numpy(), a)


def test_cluster_ids_past_int64_stay_exact(comps):
    comp = comps["cluster"]
    y = truth(comp)
    big = [10**20 + v for v in y.tolist()]
    other = [7 * v for v in changed(y, [0]).tolist()]
    out = blend([frame(comp, big), frame(comp, other), frame(comp, big)], comp)
    assert out["label"].tolist() == big


def test_metadata_records_weights_agreement_and_mapping(comps):
    comp = comps["cluster"]
    y = truth(comp)
    perm = np.roll(np.arange(10), 2)
    _, info = blend_details([frame(comp, y), frame(comp, perm[y]), frame(comp, changed(y, np.arange(30)))], comp,
                            [0.5, 0.3, 0.2])
    assert info["method"] == "hungarian"
    assert [e["weight"] for e in info["inputs"]] == [0.5, 0.3, 0.2]
    assert [e["agreement"] for e in info["inputs"]] == [1.0, 1.0, round(1 - 30 / len(y), 6)]
    assert info["inputs"][1]["mapping"] == {str(perm[c]): c for c in range(10)}


# --- class labels, binary, pairs ---------------------------------------------------------------------------------

def test_class_labels_are_voted_without_alignment(comps):
    comp = comps["labeled"]
    assert comp.metric == "accuracy"
    y = truth(comp)
    perm = np.roll(np.arange(10), 1)
    out = blend([frame(comp, y), frame(comp, perm[y]), frame(comp, perm[y])], comp)["label"].to_numpy()
    assert np.array_equal(out, perm[y])  # classes are absolute: an alignment would have given y


def test_binary_flipped_copies_are_flipped_back(comps):
    comp = comps["binary"]
    y = truth(comp)
    n = len(y)
    noisy = [changed(y, np.arange(k, n, 17), 2) for k in range(3)]  # disjoint rows wrong in each
    inputs = [noisy[0], 1 - noisy[1], 1 - noisy[2]]
    out, info = blend_details([frame(comp, v) for v in inputs], comp)
    assert np.array_equal(out["label"].to_numpy(), y)  # without flipping the majority would be 1 - y
    assert info["method"] == "flip" and [e["flipped"] for e in info["inputs"]] == [False, True, True]
    assert np.array_equal(blend([frame(comp, y), frame(comp, 1 - y)], comp)["label"].to_numpy(), y)


def test_pairs_are_voted_as_written(comps):
    comp = comps["pairs"]
    y = truth(comp)
    out = blend([frame(comp, y), frame(comp, 1 - y), frame(comp, 1 - y)], comp)["label"].to_numpy()
    assert np.array_equal(out, 1 - y)  # "same" is absolute: never flipped
    noisy = [changed(y, np.arange(k, len(y), 11), 2) for k in range(3)]
    assert np.array_equal(blend([frame(comp, v) for v in noisy], comp)["label"].to_numpy(), y)


# --- bad inputs ---------------------------------------------------------------------------------------------------

def test_bad_inputs_are_refused(comps):
    comp = comps["cluster"]
    y = truth(comp)
    good = frame(comp, y)
    with pytest.raises(ConfigError, match="at least two submissions, got 1"):
        blend([good], comp)
    with pytest.raises(ConfigError, match="2 submissions need 2 weights, got 3"):
        blend([good, good], comp, [1, 1, 1])
    with pytest.raises(ConfigError, match="positive number"):
        blend([good, good], comp, [1, 0])
    other = good.copy()
    other.loc[5, "id"] = "img_99999"
    with pytest.raises(SubmissionError, match=r"^b\.csv: 1 unknown id\(s\), first 'img_99999' on line 7$"):
        blend([good, other], comp, names=["a.csv", "b.csv"])
    with pytest.raises(SubmissionError, match=r"^submission 2: wrong header"):
        blend([good, good.set_axis(["ImageId", "Label"], axis=1)], comp)
    with pytest.raises(SubmissionError, match=r"labels must be 0 or 1: line 2 has"):
        blend([frame(comps["binary"], truth(comps["binary"]) + 2), frame(comps["binary"], truth(comps["binary"]))],
              comps["binary"])
