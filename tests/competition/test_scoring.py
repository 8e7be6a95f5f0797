"""Metric functions and score_submission details (splits, n_classes bound, solution checks)."""
import numpy as np
import pandas as pd
import pytest

from kit.competition import METRICS, score_submission
from kit.competition.scoring import read_solution
from kit.errors import DataError, SubmissionError


def test_metric_functions():
    y = np.array([0, 0, 1, 1, 2, 2])
    assert METRICS["accuracy"](y, [0, 0, 1, 1, 2, 0]) == pytest.approx(5 / 6)
    assert METRICS["cluster_accuracy"](y, [2, 2, 0, 0, 1, 1]) == 1.0  # any relabelling of a perfect partition
    assert METRICS["cluster_accuracy"](y, [0, 0, 0, 0, 0, 0]) == pytest.approx(2 / 6)
    assert METRICS["binary_accuracy"]([0, 1, 1, 0], [1, 0, 0, 0]) == 0.75  # 1/4 right -> flip -> 3/4
    assert METRICS["pair_accuracy"]([0, 1, 1, 0], [1, 0, 0, 0]) == 0.25  # pairs: 1 means same, no flipping
    assert np.isnan(METRICS["accuracy"]([], []))


def solution(labels, public):
    return pd.DataFrame({"id": [f"r{i}" for i in range(len(labels))], "label": labels,
                         "Usage": np.where(public, "Public", "Private")})


def test_public_and_private_are_scored_separately():
    sol = solution([0, 1, 0, 1, 0, 1], [True, True, False, False, False, False])
    sub = sol[["id", "label"]].assign(label=[0, 1, 1, 0, 0, 1])  # public all right, private half right
    s = score_submission(sub.iloc[::-1], sol, "accuracy")  # row order does not matter
    assert (s["public"], s["private"], s["acc"]) == (1.0, 0.5, pytest.approx(4 / 6))
    assert (s["n_public"], s["n_private"]) == (2, 4)


def test_n_classes_bounds_accuracy_labels():
    sol = solution([0, 1, 0, 1], [True, False, True, False])
    sub = sol[["id", "label"]].assign(label=[0, 1, 0, 2])
    with pytest.raises(SubmissionError, match=r"\[0, 2\): line 5 has 2"):
        score_submission(sub, sol, "accuracy")
    assert score_submission(sub, sol, "accuracy", n_classes=3)["public"] == 1.0  # class 2 exists, just not here


def test_bad_solution_and_metric(tmp_path):
    with pytest.raises(DataError, match="unknown metric"):
        score_submission(pd.DataFrame(), pd.DataFrame(), "f1")
    (tmp_path / "s.csv").write_text("id,label,Usage\na,1,Secret\n")
    with pytest.raises(DataError, match=r"s.csv: Usage must be Public or Private, line 2 has 'Secret'"):
        read_solution(tmp_path / "s.csv")
    with pytest.raises(DataError, match="no such solution file"):
        read_solution(tmp_path / "missing.csv")


def test_error_line_numbers_count_blank_lines(tmp_path):
    import pandas as pd
    import pytest

    from kit.competition.validate import validate_submission
    from kit.errors import SubmissionError

    sample = pd.DataFrame({"id": ["a", "b", "c"], "label": [0, 0, 0]})
    path = tmp_path / "sub.csv"
    path.write_text("id,label\na,0\n\n\nb,x\nc,1\n")
    with pytest.raises(SubmissionError, match="line 5 has 'x'"):
        validate_submission(path, sample)


def test_cluster_ids_past_int64_score_as_the_partition_they_are(tmp_path):
    """A float cast would make every such id INT64_MIN: one cluster, and a far lower score."""
    truth = np.arange(60) % 3
    sol = solution(truth, np.arange(60) < 30)
    clusters = (truth + 1) % 3
    clusters[:6] = (clusters[:6] + 1) % 3  # 54 of 60 right after matching
    small = sol[["id", "label"]].assign(label=clusters)
    path = tmp_path / "big.csv"
    path.write_text("id,label\n" + "".join(f"{i},{2 ** 64 + 7 * int(c)}\n" for i, c in zip(sol["id"], clusters)))
    expected = score_submission(small, sol, "cluster_accuracy")
    assert expected["acc"] == pytest.approx(0.9)
    assert score_submission(path, sol, "cluster_accuracy") == expected
    with pytest.raises(SubmissionError, match=r"labels must be 0 or 1: line 2 has 1844674407370955163\d"):
        score_submission(path, sol, "binary_accuracy")


def test_answer_key_keeps_its_own_header_and_label_names(tmp_path):
    path = tmp_path / "solution.csv"
    path.write_text("ImageId,Label,Usage\na,cat,Public\nb,dog,Private\nc,cat,Private\n")
    sol = read_solution(path)
    assert sol.columns.tolist() == ["id", "label", "Usage"] and sol.attrs["columns"] == ["ImageId", "Label"]
    sub = pd.DataFrame({"ImageId": ["c", "b", "a"], "Label": ["cat", "cat", "cat"]})
    assert score_submission(sub, path, "accuracy")["acc"] == pytest.approx(2 / 3)
    with pytest.raises(SubmissionError, match="wrong header: expected ImageId,Label, got id,label"):
        score_submission(sub.set_axis(["id", "label"], axis=1), path, "accuracy")
    path.write_text("id,label,Split\na,1,Public\n")
    with pytest.raises(DataError, match=r"header must be <id>,<label>,Usage"):
        read_solution(path)


def test_solution_label_past_int64_is_refused(tmp_path, capsys):
    """A class index past int64 is no class: import refuses it, and so does reading an answer key (it used to be
    scored as a text label without a word)."""
    from kit.competition import make_competition
    from kit.data import load_source
    from tests.cli_main import kit_main

    path = tmp_path / "solution.csv"
    path.write_text("id,label,Usage\na,1,Public\nb,9223372036854775813,Private\nc,0,Private\n")
    with pytest.raises(DataError, match=r"solution.csv: label on line 3 \(9223372036854775813\) does not fit in int64"):
        read_solution(path)
    path.write_text("id,label,Usage\na,1,Public\nb,-9223372036854775809,Private\n")
    with pytest.raises(DataError, match="line 3 .* does not fit in int64"):
        read_solution(path)
    path.write_text("id,label,Usage\na,9223372036854775807,Public\nb,cat,Private\n")  # names: text, as before
    assert read_solution(path)["label"].tolist() == ["9223372036854775807", "cat"]

    comp = make_competition(load_source({"kind": "digits", "limit": 60}), tmp_path / "c", labels_per_class=1)
    sol = pd.read_csv(comp / "hidden" / "solution.csv", dtype=str)
    sol.loc[3, "label"] = "9223372036854775813"
    sol.to_csv(comp / "hidden" / "solution.csv", index=False)
    sub = sol[["id", "label"]].assign(label=0)
    sub.to_csv(tmp_path / "sub.csv", index=False)
    code, _, err = kit_main(capsys, "score", tmp_path / "sub.csv", "-c", comp, "--no-leaderboard")
    assert code == 2 and err.count("\n") == 1 and "line 5 (9223372036854775813) does not fit in int64" in err, err
