"""import_competition: a Kaggle-style download becomes a competition folder that loads, validates and submits."""
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from kit.competition import import_competition, import_is_current, is_raw_download, load_competition, validate_submission
from kit.errors import ConfigError, DataError, SubmissionError
from kit.submit import build_submission, write_submission


def _png(path, value: int, shape=(5, 4)) -> np.ndarray:
    """A distinct RGB picture per value (so a wrong file behind an id shows up in the pixels)."""
    rng = np.random.default_rng(value)
    arr = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return arr


def _csv(path, **columns):
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(columns).to_csv(path, index=False)
    return path


@pytest.fixture
def download(tmp_path):
    """test/ with 6 images to predict, train/ with 4 labeled images (labels as class names), ids as Kaggle gives them."""
    d = tmp_path / "dl"
    pixels = {f"{n:04d}.png": _png(d / "test" / f"{n:04d}.png", n) for n in range(6)}
    pixels.update({f"t{n}": _png(d / "train" / f"t{n}.png", 100 + n) for n in range(4)})
    _csv(d / "sample_submission.csv", id=[f"{n:04d}.png" for n in (3, 1, 0, 2, 5, 4)], label=0)
    _csv(d / "train.csv", id=["t0", "t1", "t2", "t3"], label=["dog", "cat", "dog", "bird"])
    return d, pixels


def test_folder_layout_imports_and_loads(download, tmp_path):
    d, pixels = download
    out = import_competition(d, tmp_path / "comp")
    comp = load_competition(out)
    assert comp.type == "label" and comp.metric == "accuracy"
    assert len(comp.images) == 10 and comp.images.images.shape[1:] == (5, 4, 3)
    assert comp.submission_ids.tolist() == ["0003.png", "0001.png", "0000.png", "0002.png", "0005.png", "0004.png"]
    where = {i: n for n, i in enumerate(comp.images.ids)}
    for ident, arr in pixels.items():
        np.testing.assert_array_equal(comp.images.images[where[ident]], arr)
    assert comp.class_names == ["bird", "cat", "dog"] and comp.n_classes == 3
    assert dict(zip(comp.labeled.ids, comp.labeled.labels)) == {"t0": 2, "t1": 1, "t2": 2, "t3": 0}
    for i, n in enumerate(comp.labeled.ids):
        np.testing.assert_array_equal(comp.labeled.images[i], pixels[n])
    assert not (out / "hidden").exists()  # Kaggle gives no answers
    meta = json.loads((out / "competition.json").read_text())
    assert meta["source"] == {"kind": "import", "dir": str(d.resolve())}
    assert meta["import"]["layout"] == "folders" and meta["import"]["labels"] == "train.csv"
    assert sorted(meta["import"]["images"]) == ["test", "train"] and meta["n_labeled"] == 4


@pytest.mark.parametrize("spell", [lambda s: s, lambda s: s + ".png"], ids=["no-extension", "extension"])
def test_ids_with_or_without_extension_match_the_file(tmp_path, spell):
    d = tmp_path / "dl"
    pixels = [_png(d / "images" / f"{n:04d}.png", n) for n in range(4)]
    _csv(d / "sample_submission.csv", id=[spell(f"{n:04d}") for n in range(4)], label=0)
    _csv(d / "labels.csv", id=[f"{n:04d}.png" if spell("") == "" else f"{n:04d}" for n in (0, 1)], label=[1, 0])
    comp = load_competition(import_competition(d, tmp_path / "c"))
    assert comp.submission_ids.tolist() == [spell(f"{n:04d}") for n in range(4)]  # the sample's spelling is kept
    assert len(comp.images) == 4  # a labeled image that is also in the sample is not stored twice
    for n in range(4):
        np.testing.assert_array_equal(comp.images.images[comp.images.ids.tolist().index(spell(f"{n:04d}"))], pixels[n])
    assert comp.labeled.labels.tolist() == [1, 0]
    np.testing.assert_array_equal(comp.labeled.images[0], pixels[0])


def test_same_file_name_in_train_and_test_goes_to_the_right_role(tmp_path):
    d = tmp_path / "dl"
    test = [_png(d / "test" / f"{n}.png", n) for n in range(3)]
    train = [_png(d / "train" / f"{n}.png", 50 + n) for n in range(3)]
    _csv(d / "sample_submission.csv", id=["0", "1", "2"], label=0)
    _csv(d / "train" / "train_labels.csv", id=["0", "1", "2"], label=[2, 0, 1])
    comp = load_competition(import_competition(d, tmp_path / "c"))
    ids = comp.images.ids.tolist()
    for n in range(3):
        np.testing.assert_array_equal(comp.images.images[ids.index(str(n))], test[n])  # sample ids -> test/
    assert comp.labeled.labels.tolist() == [2, 0, 1]
    for n in range(3):
        np.testing.assert_array_equal(comp.labeled.images[n], train[n])  # label ids -> train/ (renamed, not clashing)
    assert not set(comp.labeled.ids) & set(comp.submission_ids)


def test_npy_train_test_layout(tmp_path):
    d = tmp_path / "dl"
    d.mkdir()
    rng = np.random.default_rng(0)
    train_x, test_x = rng.random((8, 6, 6)), rng.random((5, 6, 6))  # floats in [0, 1]
    train_y = np.array([0, 1, 2, -1, -1, 1, -1, 0])  # -1 = unknown
    np.save(d / "trainX.npy", train_x)
    np.save(d / "trainY.npy", train_y)
    np.save(d / "testX.npy", test_x)
    _csv(d / "sample_submission.csv", id=[f"q{n}" for n in range(5)], label=0)
    out = import_competition(d, tmp_path / "c")
    comp = load_competition(out)
    assert comp.type == "label" and comp.n_classes == 3 and len(comp.images) == 13  # unlabeled train rows kept
    as_u8 = lambda a: np.rint(a * 255).astype(np.uint8)[..., None]  # noqa: E731
    ids = comp.images.ids.tolist()
    for n in range(5):
        np.testing.assert_array_equal(comp.images.images[ids.index(f"q{n}")], as_u8(test_x[n]))  # row n = sample row n
    known = np.flatnonzero(train_y >= 0)
    assert comp.labeled.labels.tolist() == train_y[known].tolist()
    np.testing.assert_array_equal(comp.labeled.images, as_u8(train_x[known]))
    assert json.loads((out / "competition.json").read_text())["import"]["layout"] == "npy"
    comp2 = load_competition(import_competition(d, tmp_path / "c2", extras=False))
    assert len(comp2.images) == 5 + len(known)  # --no-extras drops the unlabeled train rows


def test_npy_images_with_ids_and_label_csv(tmp_path):
    d = tmp_path / "dl"
    d.mkdir()
    images = np.random.default_rng(1).integers(0, 256, (6, 4, 4, 3), dtype=np.uint8)
    np.save(d / "images.npy", images)
    np.save(d / "ids.npy", np.array([f"im{n}.jpg" for n in range(6)]))
    _csv(d / "sample_submission.csv", id=["im5", "im4", "im3"], label=0)
    _csv(d / "labels.csv", id=["im0.jpg", "im1.jpg", "im2.jpg"], label=[1, 0, 1])
    comp = load_competition(import_competition(d, tmp_path / "c", type="binary"))
    assert comp.type == "binary" and comp.metric == "binary_accuracy" and comp.n_classes == 2
    ids = comp.images.ids.tolist()
    np.testing.assert_array_equal(comp.images.images[ids.index("im4")], images[4])
    assert comp.labeled.labels.tolist() == [1, 0, 1]
    np.testing.assert_array_equal(comp.labeled.images, images[:3])


def test_pairs_sample_builds_pairs_csv(tmp_path):
    d = tmp_path / "dl"
    pixels = {f"p{n}": _png(d / "imgs" / f"p{n}.png", n) for n in range(5)}
    _csv(d / "sample_submission.csv", id=["a", "b", "c"], image1=["p0", "p1.png", "p2"], image2=["p1", "p3", "p4"])
    with pytest.raises(ConfigError, match="--n-classes is required"):
        import_competition(d, tmp_path / "c")
    assert not (tmp_path / "c").exists()
    out = import_competition(d, tmp_path / "c", n_classes=4)
    comp = load_competition(out)
    assert comp.type == "pairs" and comp.metric == "pair_accuracy" and comp.n_classes == 4
    assert comp.sample_submission.columns.tolist() == ["id", "label"] and comp.submission_ids.tolist() == ["a", "b", "c"]
    assert len(comp.images) == 5 and comp.pairs["image1"][1] == comp.pairs["image2"][0]  # "p1.png" and "p1": one image
    where = dict(zip(comp.images.ids, comp.images.images))
    for ident in comp.image_ids_to_predict:
        np.testing.assert_array_equal(where[ident], pixels[ident.removesuffix(".png")])


def test_unlabeled_import_accepts_a_submission_built_for_it(tmp_path, download):
    d, _ = download
    (d / "train.csv").unlink()
    with pytest.raises(ConfigError, match="--n-classes is required"):
        import_competition(d, tmp_path / "c")
    comp = load_competition(import_competition(d, tmp_path / "c", n_classes=3))
    assert comp.metric == "cluster_accuracy" and comp.labeled is None and not comp.solution_path.exists()
    clusters = {"ids": comp.images.ids, "clusters": np.arange(len(comp.images)) % 3}
    sub = build_submission(comp, clusters)
    checked = validate_submission(sub, comp)
    assert checked["id"].tolist() == comp.submission_ids.tolist()
    path = write_submission(sub, comp, tmp_path / "sub" / "submission.csv")
    assert pd.read_csv(path, dtype={"id": str})["id"].tolist() == ["0003.png", "0001.png", "0000.png", "0002.png",
                                                                   "0005.png", "0004.png"]
    with pytest.raises(SubmissionError, match="expected 6 rows"):
        validate_submission(sub.iloc[:-1], comp)


def test_solution_in_download_is_kept_hidden(tmp_path, download):
    d, _ = download
    ids = [f"{n:04d}.png" for n in range(6)]
    _csv(d / "solution.csv", id=ids[::-1], label=[0, 1, 2, 0, 1, 2], Usage=["Public", "Private"] * 3)
    comp = load_competition(import_competition(d, tmp_path / "c"))
    sol = pd.read_csv(comp.solution_path, dtype={"id": str})
    assert sol["id"].tolist() == comp.submission_ids.tolist()  # reordered like the sample
    assert dict(zip(sol["id"], sol["label"])) == dict(zip(ids[::-1], [0, 1, 2, 0, 1, 2]))


def _no_output(tmp_path):
    return not (tmp_path / "c").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".c.")]


@pytest.mark.parametrize("break_it, error, message", [
    (lambda d: (d / "sample_submission.csv").unlink(), DataError, r"no sample_submission.csv \(CSV files: \['train.csv'\]\)"),
    (lambda d: _csv(d / "sample_submission.csv", id=["0000.png", "9999.png"], label=0), DataError,
     r"sample_submission.csv: 1 ids have no image \(first: \['9999.png'\]"),
    (lambda d: _csv(d / "train.csv", id=["t0", "nope"], label=[0, 1]), DataError,
     r"train.csv: 1 ids have no image \(first: \['nope'\]"),
    (lambda d: _csv(d / "sampleSubmission.csv", id=["0000.png"], label=0), DataError,
     r"found 2 sample submissions \(sampleSubmission.csv, sample_submission.csv\); pass --sample"),
    (lambda d: _csv(d / "train" / "labels.csv", id=["t0"], label=[0]), DataError,
     r"found 2 label files \(train/labels.csv, train.csv\); pass --labels"),
    (lambda d: np.save(d / "testX.npy", np.zeros((6, 5, 4), np.uint8)), DataError,
     r"ambiguous layout: image folders \(test, train\) and .npy arrays \(testX.npy\); pass --images"),
    (lambda d: _csv(d / "sample_submission.csv", id=["0000.png"], a=[0], b=[1]), DataError,
     r"cannot tell the type from columns id,a,b"),
    (lambda d: _csv(d / "train.csv", id=["t0", "t1"], label=[0, 1.5]), DataError,
     r"train.csv: label on line 3 is not a class index"),
])
def test_bad_downloads_fail_with_one_line_and_write_nothing(download, tmp_path, break_it, error, message):
    d, _ = download
    break_it(d)
    with pytest.raises(error, match=message) as info:
        import_competition(d, tmp_path / "c")
    assert "\n" not in str(info.value)
    assert _no_output(tmp_path)


def test_explicit_options_settle_ambiguity(download, tmp_path):
    d, _ = download
    _csv(d / "train" / "labels.csv", id=["t0", "t1"], label=["cat", "owl"])
    comp = load_competition(import_competition(d, tmp_path / "c", labels="train/labels.csv"))  # relative to the download
    assert comp.labeled.ids.tolist() == ["t0", "t1"] and comp.class_names == ["cat", "owl"]
    comp = load_competition(import_competition(d, tmp_path / "c2", images=[d / "test", d / "train"], labels=d / "train.csv"))
    assert len(comp.images) == 10 and len(comp.labeled) == 4
    with pytest.raises(DataError, match=r"train.csv: 4 ids have no image"):  # labeled images not among --images
        import_competition(d, tmp_path / "c3", images=[d / "test"], labels=d / "train.csv")
    with pytest.raises(ConfigError, match=r"--labels nope.csv: no such file"):
        import_competition(d, tmp_path / "c3", labels="nope.csv")
    assert not (tmp_path / "c3").exists()


def test_reimport_with_other_options_is_detectable(download, tmp_path):
    d, _ = download
    assert is_raw_download(d) and not is_raw_download(tmp_path)
    out = import_competition(d, tmp_path / "c", n_classes=3)
    assert not is_raw_download(out)
    assert import_is_current(d, out, n_classes=3)
    assert not import_is_current(d, out, n_classes=4) and import_is_current(d, out, n_classes=3, name="x")
    assert not import_is_current(d, out, n_classes=3, extras=False)
    with pytest.raises(DataError, match="already exists"):
        import_competition(d, out, n_classes=4)
    assert load_competition(out).n_classes == 3  # the refused import left the old folder alone
    _csv(d / "train.csv", id=["t0", "t1", "t2", "t3"], label=["bird", "cat", "dog", "dog"])
    assert not import_is_current(d, out, n_classes=3)  # the download changed
    import_competition(d, out, n_classes=3, overwrite=True)
    assert import_is_current(d, out, n_classes=3) and load_competition(out).labeled.labels.tolist() == [0, 1, 2, 2]


def test_option_errors_are_config_errors(download, tmp_path):
    d, _ = download
    for kwargs, message in [({"type": "regression"}, "--type must be one of"), ({"n_classes": 1}, "--n-classes must be"),
                            ({"type": "pairs"}, "--type pairs needs columns id,image1,image2"),
                            ({"n_classes": 2}, r"--n-classes 2 does not fit the 3 classes")]:
        with pytest.raises((ConfigError, DataError), match=message):
            import_competition(d, tmp_path / "c", **kwargs)
    assert _no_output(tmp_path)
    comp = load_competition(import_competition(d, tmp_path / "c", n_classes=5))  # classes no label shows yet
    assert comp.n_classes == 5 and comp.class_names[:3] == ["bird", "cat", "dog"] and len(comp.class_names) == 5


def test_mixed_sizes_need_resize(tmp_path):
    d = tmp_path / "dl"
    _png(d / "imgs" / "a.png", 1, shape=(5, 4))
    _png(d / "imgs" / "b.png", 2, shape=(8, 6))
    _csv(d / "sample_submission.csv", id=["a", "b"], label=0)
    with pytest.raises(DataError, match="resize"):
        import_competition(d, tmp_path / "c", n_classes=2)
    assert _no_output(tmp_path)
    comp = load_competition(import_competition(d, tmp_path / "c", n_classes=2, resize=(3, 3)))
    assert comp.images.images.shape == (2, 3, 3, 3)
