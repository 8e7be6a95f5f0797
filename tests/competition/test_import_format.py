"""An imported competition is answered the way its download asks: the sample's own header, the labels' own names
(numbers in numeric order), and clear errors for labels that are not classes."""
import json

import numpy as np
import pandas as pd
import pytest

from kit.competition import import_competition, import_is_current, load_competition, score_submission, validate_submission
from kit.errors import DataError, SubmissionError
from kit.submit import build_submission, write_submission
from tests.competition.test_import import _csv, _png

WORDS = ["zero", "one", "two"]


def download(d, labels, sample_columns=("id", "label"), solution=None):
    """test/q0..q5 to predict, train/t0.. labeled with ``labels``; ``solution``: the answer key's labels for q0..q5."""
    for n in range(6):
        _png(d / "test" / f"q{n}.png", n)
    for n in range(len(labels)):
        _png(d / "train" / f"t{n}.png", 100 + n)
    ids = [f"q{n}" for n in range(6)]
    _csv(d / "sample_submission.csv", **{sample_columns[0]: ids, sample_columns[1]: 0})
    _csv(d / "train.csv", id=[f"t{n}" for n in range(len(labels))], label=labels)
    if solution is not None:
        _csv(d / "solution.csv", **{sample_columns[0]: ids, sample_columns[1]: solution, "Usage": ["Public", "Private"] * 3})
    return d


def oracle(comp, truth: dict) -> dict:
    """Clusters whose label mapping gives the true class index of every image to predict."""
    index = {name: i for i, name in enumerate(comp.class_names or map(str, range(comp.n_classes)))}
    labels = np.array([index.get(truth.get(i), 0) for i in comp.images.ids])
    return {"ids": comp.images.ids, "clusters": labels, "labels": labels}


def test_submission_keeps_the_samples_header(tmp_path):
    d = download(tmp_path / "dl", [0, 1, 2, 1], ("ImageId", "Label"), solution=[0, 1, 2, 0, 1, 2])
    comp = load_competition(import_competition(d, tmp_path / "c"))
    assert comp.submission_columns == ("ImageId", "Label")
    truth = {f"q{n}": str(n % 3) for n in range(6)}
    path = write_submission(build_submission(comp, oracle(comp, truth)), comp, tmp_path / "s.csv")
    assert path.read_text().splitlines()[0] == "ImageId,Label"  # what Kaggle accepts for this competition
    assert validate_submission(path, comp)["label"].tolist() == [0, 1, 2, 0, 1, 2]
    assert score_submission(path, comp.solution_path, comp.metric)["public"] == 1.0  # the answer key has that header too
    (tmp_path / "kit.csv").write_text("id,label\n" + "".join(f"q{n},0\n" for n in range(6)))
    with pytest.raises(SubmissionError, match="wrong header: expected ImageId,Label, got id,label"):
        validate_submission(tmp_path / "kit.csv", comp)


def test_word_labels_are_submitted_and_scored_as_words(tmp_path):
    truth = [WORDS[n % 3] for n in range(6)]
    d = download(tmp_path / "dl", ["zero", "one", "two", "one"], solution=truth)
    comp = load_competition(import_competition(d, tmp_path / "c"))
    assert comp.label_names == comp.class_names == ["one", "two", "zero"]
    path = write_submission(build_submission(comp, oracle(comp, dict(zip([f"q{n}" for n in range(6)], truth)))),
                            comp, tmp_path / "s.csv")
    assert pd.read_csv(path)["label"].tolist() == truth  # names, as the answer key has them
    assert score_submission(path, comp.solution_path, comp.metric)["acc"] == 1.0
    indices = tmp_path / "idx.csv"
    indices.write_text("id,label\n" + "".join(f"q{n},2\n" for n in range(6)))
    with pytest.raises(SubmissionError, match=r"label must be one of the competition's labels \(one, two, zero\): "
                                              r"line 2 has '2'"):
        validate_submission(indices, comp)
    with pytest.raises(SubmissionError, match="no submitted label is a label of the answer key"):
        score_submission(indices, comp.solution_path, comp.metric)


def test_numbers_among_names_sort_numerically(tmp_path):
    labels = [str(n) for n in range(12)] + ["x"]
    comp = load_competition(import_competition(download(tmp_path / "dl", labels), tmp_path / "c"))
    assert comp.class_names == [str(n) for n in range(12)] + ["x"]
    assert dict(zip(comp.labeled.ids, comp.labeled.labels))["t2"] == 2  # not 4, as "10" and "11" sort before "2" as text
    truth = {f"q{n}": "2" for n in range(6)}
    df = build_submission(comp, oracle(comp, truth))
    assert df["label"].tolist() == ["2"] * 6  # the label as the download writes it


@pytest.mark.parametrize("labels, message", [
    (["1", "2", "nan", "1"], r"train.csv: label on line 4 is 'nan', not a class; leave the cell empty"),
    (["one", "None", "two", "one"], r"train.csv: label on line 3 is 'None', not a class"),
    (["1", "2", "99999999999999999999", "1"], r"train.csv: label on line 4 \(99999999999999999999\) does not fit in int64"),
])
def test_labels_that_are_not_classes_fail_with_one_line(tmp_path, labels, message):
    d = download(tmp_path / "dl", labels)
    with pytest.raises(DataError, match=message) as info:
        import_competition(d, tmp_path / "c")
    assert "\n" not in str(info.value) and not (tmp_path / "c").exists()


def test_competition_json_records_the_format_and_an_older_import_is_redone(tmp_path):
    d = download(tmp_path / "dl", ["zero", "one", "two", "one"], ("ImageId", "Label"))
    out = import_competition(d, tmp_path / "c")
    meta = json.loads((out / "competition.json").read_text())
    assert meta["submission"] == {"columns": ["ImageId", "Label"], "labels": "names"}
    assert import_is_current(d, out)
    del meta["import"]["format"], meta["submission"]  # what an import before the format change wrote
    (out / "competition.json").write_text(json.dumps(meta))
    assert load_competition(out).submission_columns == ("id", "label") and not import_is_current(d, out)


def test_a_broken_submission_format_is_a_data_error(tmp_path):
    out = import_competition(download(tmp_path / "dl", ["a", "b"]), tmp_path / "c")
    meta = json.loads((out / "competition.json").read_text())
    for fmt, message in [({"columns": ["id", "id"]}, "two different column names"),
                         ({"labels": "words"}, "indices or names")]:
        (out / "competition.json").write_text(json.dumps({**meta, "submission": fmt}))
        with pytest.raises(DataError, match=message):
            load_competition(out)


def test_report_reads_an_answer_key_in_its_own_header_and_names(tmp_path):
    from kit.report.reference import reference_labels

    truth = [WORDS[n % 3] for n in range(6)]
    d = download(tmp_path / "dl", ["zero", "one", "two", "one"], ("ImageId", "Label"), solution=truth)
    comp = load_competition(import_competition(d, tmp_path / "c"))
    assert reference_labels(comp).source == "labeled.csv"  # the answer key only when asked (kit report --reveal-public)
    ref = reference_labels(comp, reveal_public=True)
    public = [f"q{n}" for n in range(0, 6, 2)]  # Usage alternates Public, Private
    assert ref.ids.tolist() == public
    assert [comp.class_names[i] for i in ref.labels] == [truth[n] for n in range(0, 6, 2)]
