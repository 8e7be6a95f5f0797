"""Ingestion never silently changes data: 16-bit scaling, mixed channels, float ranges, refused inputs."""
import gzip
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from kit.data import ImageSet, load_source
from kit.errors import DataError


def tree(tmp_path, files):
    """files: {"class/name.ext": PIL image}; returns the root of a class tree."""
    root = tmp_path / "tree"
    for rel, im in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        im.save(root / rel)
    return root


def load_tree(root, **options):
    return load_source({"kind": "class_tree", "root": str(root), **options})


# 1. 16-bit images are scaled by the 16-bit range, not clipped at 255


@pytest.mark.parametrize("suffix", ["png", "tif"])
def test_16bit_grey_is_rescaled_not_clipped(tmp_path, suffix):
    rng = np.random.default_rng(0)
    arrs = [rng.integers(0, 65536, (20, 30)).astype(np.uint16) for _ in range(2)]
    arrs[0][0, :2] = [0, 65535]  # both ends of the range
    root = tree(tmp_path, {f"c/{i}.{suffix}": Image.fromarray(a) for i, a in enumerate(arrs)})
    assert Image.open(root / f"c/0.{suffix}").mode == "I;16"
    d = load_tree(root)
    assert d.images.shape == (2, 20, 30, 1)
    for got, a in zip(d.images, arrs):
        assert np.array_equal(got[..., 0], np.rint(a.astype(np.float64) * 255 / 65535).astype(np.uint8))
        assert len(np.unique(got)) > 200  # clipping kept 1-4 levels
    assert d.images[0, 0, 0, 0] == 0 and d.images[0, 0, 1, 0] == 255


def test_32bit_integer_tiff_uses_16bit_range_and_refuses_values_beyond_it(tmp_path):
    a = np.linspace(0, 65535, 64).astype(np.int32).reshape(8, 8)
    root = tree(tmp_path, {"c/0.tif": Image.fromarray(a)})
    assert Image.open(root / "c/0.tif").mode == "I"
    expected = np.rint(a.astype(np.float64) * 255 / 65535).astype(np.uint8)
    assert np.array_equal(load_tree(root).images[0, ..., 0], expected)
    Image.fromarray(a * 2).save(root / "c/0.tif")
    with pytest.raises(DataError, match=r"0.tif: .*\[0, 65535\], got \[0, 131070\]"):
        load_tree(root)


def test_16bit_image_with_forced_rgb_and_resize(tmp_path):
    a = np.full((6, 6), 32768, np.uint16)
    root = tree(tmp_path, {"c/0.png": Image.fromarray(a)})
    d = load_tree(root, grayscale=False, resize=[3, 3])
    assert d.images.shape == (1, 3, 3, 3) and (d.images == 128).all()


# 2. channels: any colour image makes the whole set RGB, whatever the file order


def grey_and_rgb():
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (5, 4), dtype=np.uint8), rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)


@pytest.mark.parametrize("grey_first", [True, False])
def test_mixed_grey_and_rgb_tree_is_rgb_whatever_the_order(tmp_path, grey_first):
    grey, rgb = grey_and_rgb()
    names = ("a/0.png", "b/0.png") if grey_first else ("b/0.png", "a/0.png")
    root = tree(tmp_path, {names[0]: Image.fromarray(grey), names[1]: Image.fromarray(rgb)})
    d = load_tree(root)
    g, c = (0, 1) if grey_first else (1, 0)
    assert d.images.shape == (2, 5, 4, 3)
    assert all(np.array_equal(d.images[g, ..., k], grey) for k in range(3))
    assert np.array_equal(d.images[c], rgb)


@pytest.mark.parametrize("grey_first", [True, False])
def test_mixed_folder_csv_is_rgb_whatever_the_order(tmp_path, grey_first):
    grey, rgb = grey_and_rgb()
    folder = tmp_path / "imgs"
    folder.mkdir()
    ids = ["a", "b", "c"]
    arrs = [grey, grey, rgb] if grey_first else [rgb, grey, grey]
    for i, a in zip(ids, arrs):
        Image.fromarray(a).save(folder / f"{i}.png")
    pd.DataFrame({"id": ids}).to_csv(tmp_path / "l.csv", index=False)
    d = load_source({"kind": "folder_csv", "folder": str(folder), "csv": str(tmp_path / "l.csv")})
    assert d.images.shape == (3, 5, 4, 3)
    for got, a in zip(d.images, arrs):
        assert np.array_equal(got, a if a.ndim == 3 else np.repeat(a[..., None], 3, axis=-1))


def test_grayscale_option_still_forces_channels(tmp_path):
    grey, rgb = grey_and_rgb()
    root = tree(tmp_path, {"a/0.png": Image.fromarray(grey), "b/0.png": Image.fromarray(rgb)})
    forced = load_tree(root, grayscale=True).images
    assert forced.shape == (2, 5, 4, 1)
    assert np.array_equal(forced[0, ..., 0], grey)  # grey stays as it is
    luma = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]  # ITU-R 601, as PIL's "L"
    assert np.abs(forced[1, ..., 0].astype(int) - np.rint(luma)).max() <= 1  # PIL rounds in fixed point
    only_grey = tree(tmp_path / "g", {"a/0.png": Image.fromarray(grey)})
    assert np.array_equal(load_tree(only_grey).images, grey[None, ..., None])
    assert np.array_equal(load_tree(only_grey, grayscale=False).images, np.repeat(grey[None, ..., None], 3, axis=-1))


def test_palette_images_count_as_colour_only_with_colour_pixels(tmp_path):
    grey, rgb = grey_and_rgb()
    grey_gif = tree(tmp_path / "g", {"a/0.gif": Image.fromarray(grey), "a/1.png": Image.fromarray(grey)})
    assert Image.open(grey_gif / "a/0.gif").mode == "P"
    d = load_tree(grey_gif)
    assert d.images.shape == (2, 5, 4, 1) and np.array_equal(d.images[0, ..., 0], grey)
    colour = Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE, colors=8)
    mixed = tree(tmp_path / "c", {"a/0.png": Image.fromarray(grey), "a/1.png": colour})
    e = load_tree(mixed)
    assert e.images.shape == (2, 5, 4, 3) and np.array_equal(e.images[1], np.asarray(colour.convert("RGB")))


# 3. float npy images: each image by its own range


def save_npy(tmp_path, name, arr):
    np.save(tmp_path / name, arr)
    return str(tmp_path / name)


def test_float_npy_images_are_scaled_per_image_with_one_warning(tmp_path):
    rng = np.random.default_rng(2)
    unit = rng.random((3, 4, 4))  # within [0, 1]
    wide = rng.uniform(0, 200, (1, 4, 4))  # one image in the 0..255 range
    x = save_npy(tmp_path, "x.npy", np.concatenate([unit, wide, np.zeros((1, 4, 4))]))
    with pytest.warns(UserWarning, match=r"x.npy: 3 images have values within \[0, 1\].*while 1 use") as record:
        d = load_source({"kind": "npy", "x": x})
    assert len([w for w in record if "x.npy" in str(w.message)]) == 1
    assert np.array_equal(d.images[:3, ..., 0], np.rint(unit * 255).astype(np.uint8))
    assert np.array_equal(d.images[3, ..., 0], np.rint(wide[0]).astype(np.uint8))
    assert (d.images[4] == 0).all()


def test_float_npy_images_that_agree_give_no_warning(tmp_path):
    x = save_npy(tmp_path, "x.npy", np.random.default_rng(3).uniform(0, 255, (4, 3, 3)).astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = load_source({"kind": "npy", "x": x})
    assert np.array_equal(d.images[..., 0], np.rint(np.load(x).astype(np.float64)).astype(np.uint8))


@pytest.mark.parametrize("bad, pattern", [
    (300.0, r"got \[0, 300\]"), (-0.5, r"got \[-0.5, 1\]"), (np.nan, "NaN or inf"), (np.inf, "NaN or inf"),
])
def test_float_npy_out_of_range_names_the_range(tmp_path, bad, pattern):
    arr = np.zeros((3, 4, 4))
    arr[0, 0, 0] = 1.0
    arr[2, 1, 1] = bad
    x = save_npy(tmp_path, "x.npy", arr)
    with pytest.raises(DataError, match=f"x.npy: .*{pattern}"):
        load_source({"kind": "npy", "x": x})


# 4. refused inputs


def test_complex_images_and_labels_are_refused(tmp_path):
    x = save_npy(tmp_path, "x.npy", np.ones((2, 3, 3), np.complex64) * 0.5)
    with pytest.raises(DataError, match="x.npy: image array is complex"):
        load_source({"kind": "npy", "x": x})
    x = save_npy(tmp_path, "ok.npy", np.zeros((2, 3, 3), np.uint8))
    y = save_npy(tmp_path, "y.npy", np.array([0, 1], np.complex128))
    with pytest.raises(DataError, match="y.npy: labels are complex"):
        load_source({"kind": "npy", "x": x, "y": y})


def test_zero_images_are_refused_by_every_loader(tmp_path):
    x = save_npy(tmp_path, "x.npy", np.zeros((0, 4, 4), np.uint8))
    with pytest.raises(DataError, match="x.npy: no images"):
        load_source({"kind": "npy", "x": x})
    with pytest.raises(DataError, match="e.npy: no images"):
        load_source({"kind": "npy", "x": save_npy(tmp_path, "e.npy", np.array([]))})
    (tmp_path / "imgs").mkdir()
    (tmp_path / "l.csv").write_text("id,label\n")
    with pytest.raises(DataError, match="l.csv: no rows"):
        load_source({"kind": "folder_csv", "folder": str(tmp_path / "imgs"), "csv": str(tmp_path / "l.csv")})
    with pytest.raises(DataError, match="tree: no class sub-folders"):
        (tmp_path / "tree").mkdir()
        load_source({"kind": "class_tree", "root": str(tmp_path / "tree")})
    with gzip.open(tmp_path / "x.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + b"".join(int(s).to_bytes(4, "big") for s in (0, 4, 4)))
    with pytest.raises(DataError, match="x.gz: no images"):
        load_source({"kind": "idx", "images": str(tmp_path / "x.gz")})
    ImageSet(ids=np.array([], str), images=np.zeros((0, 2, 2, 1), np.uint8)).save(tmp_path / "s.npz")
    with pytest.raises(DataError, match="source imageset: 0 images"):
        load_source({"kind": "imageset", "path": str(tmp_path / "s.npz")})


@pytest.mark.parametrize("labels, pattern", [
    (np.array([2 ** 63, 0], np.uint64), "fit in int64"),
    (np.array([2.0 ** 70, 0.0]), "fit in int64"),
    (np.array([1.5, 0.0]), "must be integers, got 1.5"),
    (np.array([np.nan, 0.0]), "NaN"),
    (np.array([True, False]), "labels are booleans"),
])
def test_bad_npy_labels_are_refused(tmp_path, labels, pattern):
    x = save_npy(tmp_path, "x.npy", np.zeros((2, 3, 3), np.uint8))
    y = save_npy(tmp_path, "y.npy", labels)
    with pytest.raises(DataError, match=f"y.npy: .*{pattern}"):
        load_source({"kind": "npy", "x": x, "y": y})


def test_good_npy_labels_keep_their_values(tmp_path):
    x = save_npy(tmp_path, "x.npy", np.zeros((3, 3, 3), np.uint8))
    y = save_npy(tmp_path, "y.npy", np.array([2 ** 63 - 1, 0, 7], np.uint64))
    assert load_source({"kind": "npy", "x": x, "y": y}).labels.tolist() == [2 ** 63 - 1, 0, 7]
    y = save_npy(tmp_path, "y.npy", np.array([2.0, -1.0, 0.0]))
    assert load_source({"kind": "npy", "x": x, "y": y}).labels.tolist() == [2, -1, 0]


def test_python_int_labels_that_overflow_int64_are_refused():
    images = np.zeros((2, 2, 2, 1), np.uint8)
    with pytest.raises(DataError, match=r"labels must fit in int64, got values in \[0, 18446744073709551616\]"):
        ImageSet(ids=["a", "b"], images=images, labels=[2 ** 64, 0])
    with pytest.raises(DataError, match="labels must fit in int64"):
        ImageSet(ids=["a", "b"], images=images, labels=[-(2 ** 63) - 1, 0])
    assert ImageSet(ids=["a", "b"], images=images, labels=[-(2 ** 63), 3]).labels.tolist() == [-(2 ** 63), 3]


def write_idx(path, arr, type_code):
    header = bytes([0, 0, type_code, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.tobytes())


def test_idx_never_wraps_pixels_or_truncates_labels(tmp_path):
    write_idx(tmp_path / "x.gz", np.array([[[-3, 5]], [[0, 1]]], np.int8), 0x09)
    with pytest.raises(DataError, match=r"x.gz: integer pixel values must lie in \[0, 255\], got \[-3, 5\]"):
        load_source({"kind": "idx", "images": str(tmp_path / "x.gz")})
    write_idx(tmp_path / "x.gz", np.zeros((2, 2, 2), np.uint8), 0x08)
    write_idx(tmp_path / "y.gz", np.array([0.5, 1.0], ">f4"), 0x0D)
    with pytest.raises(DataError, match="y.gz: labels must be integers, got 0.5"):
        load_source({"kind": "idx", "images": str(tmp_path / "x.gz"), "labels": str(tmp_path / "y.gz")})
