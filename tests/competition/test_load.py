"""load_competition: reads only what participants see and names the broken file."""
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from kit.competition import load_competition, make_competition
from kit.data import ImageSet
from kit.errors import DataError


@pytest.fixture
def comp_dir(tmp_path):
    labels = np.repeat([0, 1, 2], 6)
    data = ImageSet(ids=[f"s{i}" for i in range(18)], images=np.zeros((18, 3, 3, 1), np.uint8) + labels[:, None, None, None].astype(np.uint8),
                    labels=labels, class_names=["a", "b", "c"])
    return make_competition(data, tmp_path / "c", labels_per_class=1)


def test_loads_without_hidden_folder(comp_dir):
    shutil.rmtree(comp_dir / "hidden")  # participants never have it
    comp = load_competition(comp_dir)
    assert comp.type == "label" and comp.metric == "accuracy" and comp.n_classes == 3 and comp.class_names == ["a", "b", "c"]
    assert comp.images.labels is None and len(comp.labeled) == 3
    assert comp.labeled.images[:, 0, 0, 0].tolist() == comp.labeled.labels.tolist()  # labels belong to their images
    assert len(comp.submission_ids) == 15 and list(comp.image_ids_to_predict) == list(comp.submission_ids)
    assert not comp.solution_path.exists()


@pytest.mark.parametrize(
    "break_it, message",
    [
        (lambda d: (d / "competition.json").unlink(), "not a competition folder"),
        (lambda d: (d / "competition.json").write_text("{oops"), r"competition.json: invalid JSON"),
        (lambda d: _edit_meta(d, type="regression"), r"competition.json: type must be one of"),
        (lambda d: _edit_meta(d, metric="pair_accuracy"), r"competition.json: metric 'pair_accuracy' does not fit"),
        (lambda d: (d / "images.npz").write_bytes(b"junk"), r"images.npz: not a readable"),
        (lambda d: (d / "sample_submission.csv").write_text("id,Category\nimg_00000,0\n"), r"sample_submission.csv: header must be id,label"),
        (lambda d: _append(d / "sample_submission.csv", "img_99999,0\n"), r"sample_submission.csv: 1 ids are not in images.npz"),
        (lambda d: _set_label(d / "labeled.csv", 1, "cat"), r"labeled.csv: label on line 3 is not a class index \('cat'\)"),
        (lambda d: (d / "sample_submission.csv").unlink(), r"sample_submission.csv: no such file"),
    ],
)
def test_broken_folders_name_the_file(comp_dir, break_it, message):
    break_it(comp_dir)
    with pytest.raises(DataError, match=message):
        load_competition(comp_dir)


def test_duplicate_sample_rows_are_rejected(comp_dir):
    sample = pd.read_csv(comp_dir / "sample_submission.csv", dtype=str)
    pd.concat([sample, sample.iloc[[0]]]).to_csv(comp_dir / "sample_submission.csv", index=False)
    with pytest.raises(DataError, match=rf"sample_submission.csv: duplicate id '{sample['id'][0]}' on line 17"):
        load_competition(comp_dir)


def _edit_meta(d, **changes):
    meta = json.loads((d / "competition.json").read_text())
    (d / "competition.json").write_text(json.dumps({**meta, **changes}))


def _set_label(path, row, value):
    df = pd.read_csv(path, dtype=str)
    df.loc[row, "label"] = value
    df.to_csv(path, index=False)


def _append(path, line):
    with open(path, "a") as f:
        f.write(line)
