"""Every ingestion format, good and corrupt input."""
import gzip

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from kit.data import ImageSet, load_source
from kit.data.idx import read_idx
from kit.errors import ConfigError, DataError
from kit.paths import FASHION_MNIST_DIR, shared_data_dir


def write_png(path, arr):
    Image.fromarray(arr).save(path)


def test_digits():
    d = load_source({"kind": "digits"})
    assert d.images.shape == (1797, 8, 8, 1) and d.images.dtype == np.uint8
    assert d.images.max() == 255 and d.n_classes == 10


def test_limit_is_seeded_and_stratified():
    a = load_source({"kind": "digits", "limit": 500, "seed": 1})
    b = load_source({"kind": "digits", "limit": 500, "seed": 1})
    c = load_source({"kind": "digits", "limit": 500, "seed": 2})
    assert len(a) == 500 and (a.ids == b.ids).all() and not (a.ids == c.ids).all()
    counts = np.bincount(a.labels)
    assert counts.min() >= 45 and counts.max() <= 55


def test_unknown_kind_and_option():
    with pytest.raises(ConfigError, match="unknown source.kind 'hdf5'"):
        load_source({"kind": "hdf5"})
    with pytest.raises(ConfigError, match="did you mean 'digits'"):
        load_source({"kind": "digit"})
    with pytest.raises(ConfigError, match="unknown option"):
        load_source({"kind": "digits", "rooot": "x"})


@pytest.mark.parametrize("layout", ["nhw", "nhwc", "nchw", "float01"])
def test_npy_layouts(tmp_path, layout):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (6, 10, 12, 3), dtype=np.uint8)
    stored = {"nhw": x[..., 0], "nhwc": x, "nchw": x.transpose(0, 3, 1, 2), "float01": x / 255.0}[layout]
    np.save(tmp_path / "trainX.npy", stored)
    np.save(tmp_path / "valY.npy", np.arange(6))
    d = load_source({"kind": "npy", "x": str(tmp_path / "trainX.npy"), "y": str(tmp_path / "valY.npy")})
    expected = x[..., :1] if layout == "nhw" else x
    assert np.array_equal(d.images, expected)
    assert d.labels.tolist() == list(range(6))


def test_npy_errors_name_the_file(tmp_path):
    np.save(tmp_path / "bad.npy", np.zeros((4, 5)))
    with pytest.raises(DataError, match="bad.npy: expected images shaped"):
        load_source({"kind": "npy", "x": str(tmp_path / "bad.npy")})
    np.save(tmp_path / "x.npy", np.zeros((4, 5, 5), np.uint8))
    np.save(tmp_path / "y.npy", np.zeros(3))
    with pytest.raises(DataError, match="y.npy: 3 labels for 4 images"):
        load_source({"kind": "npy", "x": str(tmp_path / "x.npy"), "y": str(tmp_path / "y.npy")})
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(DataError, match="junk.npy: not a readable"):
        load_source({"kind": "npy", "x": str(tmp_path / "junk.npy")})
    np.save(tmp_path / "neg.npy", -np.ones((2, 4, 4)))
    with pytest.raises(DataError, match="pixel values"):
        load_source({"kind": "npy", "x": str(tmp_path / "neg.npy")})


def make_folder(tmp_path, n=5, size=(9, 7), mode="RGB"):
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    shape = (*size, 3) if mode == "RGB" else size
    for i in range(n):
        write_png(folder / f"a{i}.png", rng.integers(0, 256, shape, dtype=np.uint8))
    pd.DataFrame({"id": [f"a{i}" for i in range(n)], "label": [i % 2 for i in range(n)]}).to_csv(tmp_path / "l.csv", index=False)
    return folder


def test_folder_csv_roundtrip(tmp_path):
    folder = make_folder(tmp_path)
    d = load_source({"kind": "folder_csv", "folder": str(folder), "csv": str(tmp_path / "l.csv")})
    assert d.images.shape == (5, 9, 7, 3) and d.labels.tolist() == [0, 1, 0, 1, 0]
    assert np.array_equal(d.images[2], np.asarray(Image.open(folder / "a2.png")))


def test_folder_csv_grayscale(tmp_path):
    folder = make_folder(tmp_path, mode="L")
    d = load_source({"kind": "folder_csv", "folder": str(folder), "csv": str(tmp_path / "l.csv")})
    assert d.images.shape == (5, 9, 7, 1)
    for i in range(5):  # the grey PNGs' own pixels, in the CSV's order
        assert np.array_equal(d.images[i, ..., 0], np.asarray(Image.open(folder / f"a{i}.png")))


def test_folder_csv_mismatches(tmp_path):
    folder = make_folder(tmp_path)
    csv = tmp_path / "l.csv"
    pd.DataFrame({"id": ["a0", "a1", "zz"]}).to_csv(csv, index=False)
    with pytest.raises(DataError, match=r"1 ids have no image file.*zz"):
        load_source({"kind": "folder_csv", "folder": str(folder), "csv": str(csv)})
    pd.DataFrame({"id": ["a0", "a1"]}).to_csv(csv, index=False)
    with pytest.raises(DataError, match=r"3 image files have no row"):
        load_source({"kind": "folder_csv", "folder": str(folder), "csv": str(csv)})
    pd.DataFrame({"id": ["a0", "a0", "a1", "a2", "a3", "a4"]}).to_csv(csv, index=False)
    with pytest.raises(DataError, match="duplicate id 'a0'"):
        load_source({"kind": "folder_csv", "folder": str(folder), "csv": str(csv)})


def test_corrupt_and_mixed_size_images_name_the_file(tmp_path):
    folder = make_folder(tmp_path)
    (folder / "a3.png").write_bytes((folder / "a3.png").read_bytes()[:40])  # truncated PNG
    with pytest.raises(DataError, match="a3.png: unreadable or corrupt"):
        load_source({"kind": "folder_csv", "folder": str(folder), "csv": str(tmp_path / "l.csv")})
    write_png(folder / "a3.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(DataError, match="a3.png: image is 4x4"):
        load_source({"kind": "folder_csv", "folder": str(folder), "csv": str(tmp_path / "l.csv")})
    d = load_source({"kind": "folder_csv", "folder": str(folder), "csv": str(tmp_path / "l.csv"), "resize": [6, 6]})
    assert d.images.shape == (5, 6, 6, 3)


def test_class_tree(tmp_path):
    for c in ("cat", "dog"):
        (tmp_path / c).mkdir()
        for i in range(3):
            write_png(tmp_path / c / f"{i}.png", np.full((5, 5, 3), i * 40, np.uint8))
    d = load_source({"kind": "class_tree", "root": str(tmp_path), "limit_per_class": 2})
    assert d.class_names == ["cat", "dog"] and d.labels.tolist() == [0, 0, 1, 1]
    assert d.ids.tolist() == ["cat/0", "cat/1", "dog/0", "dog/1"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="empty: class folder has no images"):
        load_source({"kind": "class_tree", "root": str(tmp_path)})


@pytest.mark.skipif(not (shared_data_dir() / "cifar10").exists(), reason="shared CIFAR-10 not present")
def test_class_tree_on_shared_cifar10():
    d = load_source({"kind": "class_tree", "root": str(shared_data_dir() / "cifar10"), "split": "test", "limit_per_class": 20})
    assert d.images.shape == (200, 32, 32, 3) and d.n_classes == 10 and "airplane" in d.class_names


def write_idx(path, arr, magic_type=0x08):
    header = bytes([0, 0, magic_type, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def test_idx_roundtrip_and_corruption(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (7, 4, 5), dtype=np.uint8)
    write_idx(tmp_path / "x.gz", x)
    write_idx(tmp_path / "y.gz", np.arange(7))
    d = load_source({"kind": "idx", "images": str(tmp_path / "x.gz"), "labels": str(tmp_path / "y.gz")})
    assert np.array_equal(d.images[..., 0], x) and d.labels.tolist() == list(range(7))
    with gzip.open(tmp_path / "bad.gz", "wb") as f:
        f.write(b"\x12\x34\x08\x03" + bytes(20))
    with pytest.raises(DataError, match="bad.gz: not an IDX file"):
        read_idx(tmp_path / "bad.gz")
    raw = gzip.decompress((tmp_path / "x.gz").read_bytes())
    with gzip.open(tmp_path / "short.gz", "wb") as f:
        f.write(raw[:-10])
    with pytest.raises(DataError, match="short.gz: truncated"):
        read_idx(tmp_path / "short.gz")


@pytest.mark.skipif(not (FASHION_MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists(), reason="dataset-fashion-mnist not installed")
def test_fashion_mnist_from_debian_package():
    d = load_source({"kind": "fashion_mnist", "split": "test"})
    assert d.images.shape == (10000, 28, 28, 1) and d.n_classes == 10
    assert np.bincount(d.labels).tolist() == [1000] * 10


def test_fashion_mnist_missing_gives_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DataError, match="apt-get install -y dataset-fashion-mnist"):
        load_source({"kind": "fashion_mnist", "root": str(tmp_path), "download": False})


def test_imageset_save_load_roundtrip(tmp_path):
    d = load_source({"kind": "digits", "limit": 50})
    d.save(tmp_path / "s.npz")
    e = ImageSet.load(tmp_path / "s.npz")
    assert (e.ids == d.ids).all() and np.array_equal(e.images, d.images) and e.class_names == d.class_names
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(DataError, match="broken.npz: not a readable"):
        ImageSet.load(tmp_path / "broken.npz")


def test_shared_prefix_resolves_inside_shared_data_dir(tmp_path, monkeypatch):
    (tmp_path / "tree" / "a").mkdir(parents=True)
    write_png(tmp_path / "tree" / "a" / "0.png", np.zeros((3, 3, 3), np.uint8))
    monkeypatch.setenv("KIT_SHARED_DATA", str(tmp_path))
    d = load_source({"kind": "class_tree", "root": "shared:tree"})
    assert d.ids.tolist() == ["a/0"]


class _TinyTensorDataset:
    """Stands in for a torchvision dataset keeping N,C,H,W float data in memory (like some third-party sets)."""

    classes = ["a", "b", "c"]

    def __init__(self, root, train=True, download=False):
        import torch

        g = torch.Generator().manual_seed(0 if train else 1)
        self.data = torch.rand(6, 3, 5, 4, generator=g)
        self.targets = torch.tensor([0, 1, 2, 0, 1, 2])


class _TinyPILDataset:
    """A dataset without .data: items are (PIL image, label), with split= instead of train=."""

    def __init__(self, root, split="train", download=False):
        self.items = [(Image.fromarray(np.full((4, 4), 10 * i, np.uint8)), i % 2) for i in range(5)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def test_torchvision_datasets_become_uint8_nhwc(tmp_path, monkeypatch):
    import torchvision.datasets as tvd

    monkeypatch.setattr(tvd, "TinyTensor", _TinyTensorDataset, raising=False)
    monkeypatch.setattr(tvd, "TinyPIL", _TinyPILDataset, raising=False)
    d = load_source({"kind": "torchvision", "name": "TinyTensor", "root": str(tmp_path)})
    raw = _TinyTensorDataset(None).data.numpy().transpose(0, 2, 3, 1)
    assert d.images.shape == (6, 5, 4, 3) and d.images.dtype == np.uint8
    assert np.array_equal(d.images, np.rint(raw * 255).astype(np.uint8))
    assert d.labels.tolist() == [0, 1, 2, 0, 1, 2] and d.class_names == ["a", "b", "c"]
    e = load_source({"kind": "torchvision", "name": "TinyPIL", "train": False, "root": str(tmp_path)})
    assert e.images.shape == (5, 4, 4, 1) and e.images[3, 0, 0, 0] == 30 and e.labels.tolist() == [0, 1, 0, 1, 0]
    with pytest.raises(DataError, match="torchvision has no dataset 'NoSuchSet'"):
        load_source({"kind": "torchvision", "name": "NoSuchSet"})
    with pytest.raises(DataError, match="torchvision MNIST: could not load.*download=true"):
        load_source({"kind": "torchvision", "name": "MNIST", "root": str(tmp_path), "download": False})


def test_common_resize_and_grayscale_options():
    d = load_source({"kind": "digits", "limit": 20, "resize": [16, 12], "grayscale": False})
    assert d.images.shape == (20, 16, 12, 3) and len(d) == 20
    assert (d.images[..., 0] == d.images[..., 2]).all()  # gray -> RGB repeats the channel
    g = load_source({"kind": "digits", "limit": 20, "resize": 8})
    assert np.array_equal(g.images, load_source({"kind": "digits", "limit": 20}).images)  # no-op resize
    with pytest.raises(ConfigError, match=r"resize must be \[H, W\]"):
        load_source({"kind": "digits", "resize": [8, 0]})
    with pytest.raises(ConfigError, match="limit must be a positive integer"):
        load_source({"kind": "digits", "limit": "lots"})


def test_class_tree_grayscale_while_decoding(tmp_path):
    (tmp_path / "x").mkdir()
    write_png(tmp_path / "x" / "0.png", np.full((3, 3, 3), [255, 0, 0], np.uint8))
    d = load_source({"kind": "class_tree", "root": str(tmp_path), "grayscale": True})
    assert d.images.shape == (1, 3, 3, 1) and d.images[0, 0, 0, 0] == 76  # PIL's ITU-R 601 luma of pure red


def test_folder_csv_class_name_and_missing_labels(tmp_path):
    folder = make_folder(tmp_path, n=4)
    pd.DataFrame({"id": ["a0", "a1", "a2", "a3"], "label": ["dog", "cat", "", "dog"]}).to_csv(tmp_path / "l.csv", index=False)
    d = load_source({"kind": "folder_csv", "folder": str(folder), "csv": str(tmp_path / "l.csv")})
    assert d.class_names == ["cat", "dog"] and d.labels.tolist() == [1, 0, -1, 1]
    pd.DataFrame({"id": ["a0", "a1", "a2", "a3"], "label": [0, 1, -2, 1]}).to_csv(tmp_path / "l.csv", index=False)
    with pytest.raises(DataError, match=r"l.csv: label on line 4 is not a class index"):
        load_source({"kind": "folder_csv", "folder": str(folder), "csv": str(tmp_path / "l.csv")})


def test_folder_csv_two_files_with_one_stem(tmp_path):
    folder = make_folder(tmp_path, n=2)
    Image.fromarray(np.zeros((9, 7, 3), np.uint8)).save(folder / "a1.jpg")
    with pytest.raises(DataError, match=r"a1.png: same name as a1.jpg"):
        load_source({"kind": "folder_csv", "folder": str(folder), "csv": str(tmp_path / "l.csv")})


def test_npy_ids_file(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((3, 4, 4), np.uint8))
    np.save(tmp_path / "ids.npy", np.array(["p", "q", "r"]))
    d = load_source({"kind": "npy", "x": str(tmp_path / "x.npy"), "ids": str(tmp_path / "ids.npy")})
    assert d.ids.tolist() == ["p", "q", "r"] and d.labels is None
    np.save(tmp_path / "ids.npy", np.array(["p", "q", "p"]))
    with pytest.raises(DataError, match="x.npy: duplicate image id 'p'"):
        load_source({"kind": "npy", "x": str(tmp_path / "x.npy"), "ids": str(tmp_path / "ids.npy")})


@pytest.mark.skipif(not (shared_data_dir() / "cifar10" / "train").exists(), reason="shared CIFAR-10 not present")
def test_decoding_cifar_subset():
    d = load_source({"kind": "class_tree", "root": "shared:cifar10", "split": "train", "limit_per_class": 500})
    assert d.images.shape == (5000, 32, 32, 3) and np.bincount(d.labels).tolist() == [500] * 10


def test_class_tree_with_several_splits(tmp_path):
    from PIL import Image

    for split, n in (("train", 2), ("test", 1)):
        for cls, value in (("cat", 10), ("dog", 200)):
            (tmp_path / split / cls).mkdir(parents=True)
            for i in range(n):
                Image.fromarray(np.full((4, 4), value + i, np.uint8)).save(tmp_path / split / cls / f"{i}.png")
    both = load_source({"kind": "class_tree", "root": str(tmp_path), "split": ["train", "test"]})
    assert len(both) == 6 and both.class_names == ["cat", "dog"]
    assert both.ids.tolist()[:2] == ["train/cat/0", "train/cat/1"] and "test/dog/0" in both.ids.tolist()
    assert both.labels.tolist() == [0, 0, 1, 1, 0, 1]
    assert both.images[both.ids.tolist().index("test/dog/0")].max() == 200


def test_folder_csv_labels_numbers_among_names_nan_and_int64(tmp_path):
    folder = make_folder(tmp_path, n=4)
    csv = tmp_path / "l.csv"
    spec = {"kind": "folder_csv", "folder": str(folder), "csv": str(csv)}
    pd.DataFrame({"id": ["a0", "a1", "a2", "a3"], "label": ["10", "2", "x", "-1"]}).to_csv(csv, index=False)
    d = load_source(spec)
    assert d.class_names == ["2", "10", "x"] and d.labels.tolist() == [1, 0, 2, -1]  # numbers in numeric order
    for labels, message in [(["1", "nan", "2", "1"], r"l.csv: label on line 3 is 'nan', not a class"),
                            (["1", "2", "9223372036854775808", "1"], r"l.csv: label on line 4 .* does not fit in int64")]:
        pd.DataFrame({"id": ["a0", "a1", "a2", "a3"], "label": labels}).to_csv(csv, index=False)
        with pytest.raises(DataError, match=message):
            load_source(spec)


def test_a_missing_required_option_is_a_config_error():
    with pytest.raises(ConfigError, match=r"source npy: missing required option\(s\) \['x'\]"):
        load_source({"kind": "npy", "y": "labels.npy"})


def test_seed_must_be_a_numpy_seed():
    """A negative or too large seed is one line, not numpy's "expected non-negative integer" traceback."""
    for seed in (-1, 2**32, 1.5, "1", True):
        with pytest.raises(ConfigError, match=r"source digits: seed must be an integer in 0 \.\. 4294967295"):
            load_source({"kind": "digits", "limit": 50, "seed": seed})
    assert len(load_source({"kind": "digits", "limit": 50, "seed": 2**32 - 1})) == 50


def test_source_spec_text_mapping_and_the_old_comma_form(capsys):
    from kit.data.sources import source_spec

    new = source_spec("fashion_mnist:split=test,limit=500", "--holdout-source")
    assert new == {"kind": "fashion_mnist", "split": "test", "limit": 500} and capsys.readouterr().err == ""
    assert source_spec({"kind": "fashion_mnist", "split": "test", "limit": 500}, "holdout") == new
    assert source_spec("fashion_mnist,split=test,limit=500", "--holdout-source") == new  # the old spelling
    assert capsys.readouterr().err == (
        "--holdout-source fashion_mnist,split=test,limit=500 is deprecated and will be removed; write "
        "--holdout-source fashion_mnist:split=test,limit=500 (a source is KIND:key=value,... as a reduce --step is "
        "METHOD:key=value,...)\n")
    assert source_spec("digits", "KIND") == {"kind": "digits"} and capsys.readouterr().err == ""
    for bad, match in (({"split": "test"}, "needs a 'kind'"), (3, "expected a source such as"),
                       ("split=test", "expected NAME")):
        with pytest.raises(ConfigError, match=match):
            source_spec(bad, "holdout")


def test_ingest_and_make_read_the_spec_form_as_the_opt_form(tmp_path, capsys):
    """`kit data ingest digits:limit=50` writes what `kit data ingest digits -O limit=50` writes; a key given both
    ways is an error before anything is written."""
    from tests.cli_main import kit_main

    assert kit_main(capsys, "data", "ingest", "digits:limit=50,seed=3", "-o", tmp_path / "a.npz")[0] == 0
    assert kit_main(capsys, "data", "ingest", "digits", "-O", "limit=50", "-O", "seed=3", "-o", tmp_path / "b.npz")[0] == 0
    a, b = ImageSet.load(tmp_path / "a.npz"), ImageSet.load(tmp_path / "b.npz")
    assert np.array_equal(a.ids, b.ids) and np.array_equal(a.images, b.images) and len(a) == 50
    code, _, err = kit_main(capsys, "data", "ingest", "digits:limit=50", "-O", "limit=60", "-o", tmp_path / "c.npz")
    assert code == 2 and "-O both set limit" in err and not (tmp_path / "c.npz").exists()
    code, _, err = kit_main(capsys, "competition", "make", "--source", "digits:limit=200", "--labels-per-class", "2",
                            "-o", tmp_path / "comp")
    assert code == 0, err
    from kit.competition import load_competition

    assert len(load_competition(tmp_path / "comp").images.ids) == 200
