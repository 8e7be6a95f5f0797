"""Dense SIFT: a 5 x 5 grid at any size, equal to a plain numpy dense SIFT of the ITU-R 601 grey image, known
answers for an edge and a flat image, and shift tolerance."""
import math

import numpy as np
import pytest

from kit.errors import ConfigError
from kit.features.descriptors import dense_sift, describe, dsift_geometry

GRID = 5  # dense SIFT positions per side that dsift_geometry promises, whatever the image size


def blobs(n=6, size=28, channels=1, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.zeros((n, size, size, channels), np.uint8)
    for i in range(n):
        cy, cx = rng.uniform(size * 0.3, size * 0.7, 2)
        img = 255 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2 * rng.uniform(0.2, 5)) / (size * 0.8))
        out[i] = img[..., None].astype(np.uint8)
    return out


def numpy_dsift(grey, size, stride, grid=GRID, n_ang=8, n_cells=4, clip=0.2):
    """Dense SIFT of one float H x W grey image, written from the definition in plain numpy (float64):
    central-difference gradients (edge pixels replicated); each pixel's magnitude split linearly between the two
    nearest of ``n_ang`` orientation bins (bin a centred on angle 2 pi a / n_ang, bin 0 = gradient along +x);
    each bin map pooled by a separable triangular window ``size`` pixels wide; descriptor (i, j) reads the
    4 x 4 pooled cells ``size`` pixels apart from pooled pixel (i * stride, j * stride); then L2-normalise,
    clip at 0.2, L2-normalise, and RootSIFT (L1-normalise, sqrt(. + 1e-10)). Output layout: angle-major
    channels a * 16 + cy * 4 + cx, each a grid x grid map, flattened."""
    p = np.pad(grey.astype(np.float64), 1, mode="edge")
    gx = (p[1:-1, 2:] - p[1:-1, :-2]) / 2
    gy = (p[2:, 1:-1] - p[:-2, 1:-1]) / 2
    mag = np.hypot(gx, gy)
    o = (np.arctan2(gy, gx) % (2 * math.pi)) * n_ang / (2 * math.pi)
    b0 = np.floor(o).astype(int) % n_ang
    frac = o - np.floor(o)
    h, w = grey.shape
    hist = np.zeros((n_ang, h, w))
    rows, cols = np.mgrid[:h, :w]
    np.add.at(hist, (b0, rows, cols), (1 - frac) * mag)
    np.add.at(hist, ((b0 + 1) % n_ang, rows, cols), frac * mag)
    tri = np.array([size / 2 - abs(i + 0.5 - size / 2) for i in range(size)]) / (size / 2)
    half = size // 2
    padded = np.pad(hist, ((0, 0), (half, half), (half, half)))
    ph, pw = h + 2 * half - size + 1, w + 2 * half - size + 1
    pooled = np.zeros((n_ang, ph, pw))
    for u in range(size):
        for v in range(size):
            pooled += tri[u] * tri[v] * padded[:, u:u + ph, v:v + pw]
    desc = np.zeros((n_ang, n_cells, n_cells, grid, grid))
    for i in range(grid):
        for j in range(grid):
            for cy in range(n_cells):
                for cx in range(n_cells):
                    desc[:, cy, cx, i, j] = pooled[:, i * stride + cy * size, j * stride + cx * size]
    d = desc.reshape(n_ang * n_cells * n_cells, grid * grid)  # one column per grid position

    def l2(v):
        n = np.linalg.norm(v, axis=0, keepdims=True)
        return np.divide(v, n, out=np.zeros_like(v), where=n > 0)

    d = l2(np.minimum(l2(d), clip))
    d1 = d.sum(0, keepdims=True)
    d = np.sqrt(np.divide(d, d1, out=np.zeros_like(d), where=d1 > 0) + 1e-10)
    return d.reshape(-1)


def grey601(rgb):
    """ITU-R BT.601 luma of uint8 RGB, in [0, 1]."""
    return (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]) / 255.0


@pytest.mark.parametrize("side, want", [(8, (1, 1)), (28, (3, 4)), (32, (3, 5)), (64, (7, 9)), (96, (10, 14))])
def test_geometry_by_hand(side, want):
    # round(3 * side / 28), round(side / 7): 64 -> 6.86, 9.14; 96 -> 10.29, 13.71; the smaller side decides
    assert dsift_geometry(side, side) == want
    assert dsift_geometry(side, 3 * side) == want and dsift_geometry(3 * side, side) == want
    size, stride = want
    # GRID positions fit the pooled map (H + 1 for an even bin size), the last one reading inside it
    pooled = side + (size % 2 == 0)
    assert (GRID - 1) * stride + 3 * size < pooled


@pytest.mark.parametrize("side", [8, 28, 32])
def test_equals_numpy_dense_sift_of_the_601_grey_image(side):
    rgb = np.random.default_rng(side).integers(0, 256, (3, side, side, 3), dtype=np.uint8)
    rgb[1] = blobs(1, side, 3, seed=side)[0]  # a smooth image too: gradients spread over neighbouring bins
    got = dense_sift(rgb, batch_size=2)
    size, stride = dsift_geometry(side, side)
    want = np.stack([numpy_dsift(grey601(img), size, stride) for img in rgb])
    assert got.shape == want.shape == (3, GRID * GRID * 128)
    # compared squared, i.e. as the L1-normalised histograms (entries ~1/128) before RootSIFT's square root: float32
    # leaves up to ~3e-7 in some empty bins (an orientation on a bin edge rounds to just below it, the pooling's
    # rounding), which the root would blow up to ~5e-4 next to the 1e-5 floor
    np.testing.assert_allclose(got ** 2, want ** 2, rtol=1e-4, atol=1e-6)
    grey = blobs(2, side, seed=side + 1)  # one channel: used as is
    want = np.stack([numpy_dsift(img[..., 0] / 255.0, size, stride) for img in grey])
    np.testing.assert_allclose(dense_sift(grey) ** 2, want ** 2, rtol=1e-4, atol=1e-6)


def test_grey_weights_are_601_not_a_channel_mean():
    """Red rises left to right, green falls: under 601 weights (0.299 x 255 < 0.587 x 200) the grey image falls, so
    its gradient points along -x (angle bin 4); a channel mean (255 > 200) or the red channel alone would rise (bin 0)."""
    ramp = np.linspace(0, 1, 28)[None, :] * np.ones((28, 1))
    rgb = np.zeros((1, 28, 28, 3), np.uint8)
    rgb[0, ..., 0] = np.round(255 * ramp)
    rgb[0, ..., 1] = np.round(200 * (1 - ramp))
    bins = dense_sift(rgb).reshape(8, -1).sum(1)  # RootSIFT mass per orientation bin, over cells and positions
    assert bins.argmax() == 4
    assert np.delete(bins, 4).max() < 0.01 * bins[4]  # the others hold the 1e-5 floor only


@pytest.mark.parametrize("gradient, bin_", [("x", 0), ("y", 2), ("-x", 4), ("-y", 6)])
def test_a_ramp_puts_all_mass_in_its_orientation_bin(gradient, bin_):
    """Intensity rising along +x (+y: down the rows) is angle 0 (pi / 2), angle-major bin 0 (2); every grid position
    then has its RootSIFT mass in that bin's 16 cells and the 1e-5 floor (sqrt 1e-10) everywhere else."""
    ramp = np.tile(np.arange(28, dtype=np.uint8) * 9, (28, 1))
    img = {"x": ramp, "-x": ramp[:, ::-1], "y": ramp.T, "-y": ramp.T[::-1]}[gradient]
    d = dense_sift(np.ascontiguousarray(img)[None, ..., None]).reshape(8, 16, GRID, GRID)
    others = np.delete(d, bin_, axis=0)
    np.testing.assert_allclose(others, 1e-5, rtol=1e-3)
    assert (d[bin_] > 0.1).all()
    # unit L2 norm per grid position (RootSIFT of an L1-normalised vector), up to the 1e-10 floor
    np.testing.assert_allclose((d ** 2).sum((0, 1)), 1, rtol=1e-5)


def test_flat_image_gives_the_rootsift_floor():
    """No gradient anywhere: a zero histogram, normalised to zero, then sqrt(0 + 1e-10) = 1e-5 in every entry."""
    for value in (0, 77, 255):
        d = dense_sift(np.full((2, 28, 28, 1), value, np.uint8))
        np.testing.assert_allclose(d, 1e-5, rtol=1e-4)


@pytest.mark.parametrize("side", [8, 28, 32, 64])
def test_grid_is_five_by_five_at_any_size(side):
    assert dense_sift(blobs(2, side)).shape == (2, GRID * GRID * 128)


def test_shifted_image_stays_closer_than_in_pixels():
    """A 2-pixel shift moves a blob far in pixel space, little in dense SIFT (relative to other images)."""
    imgs = blobs(20)
    shifted = np.roll(imgs, 2, axis=2)

    def rank_of_shift(name):  # rank of the shifted copy among all images, by distance to the original (0: nearest)
        a, b = describe(name, imgs), describe(name, shifted)
        d_self = np.linalg.norm(a - b, axis=1)
        d_other = np.linalg.norm(a[:, None] - a[None], axis=2) + np.eye(len(a)) * 1e9
        return (d_other < d_self[:, None]).sum(1).mean()

    assert rank_of_shift("dsift") < rank_of_shift("pixels")


def test_pixels_and_bad_input():
    imgs = blobs(3)
    np.testing.assert_array_equal(describe("pixels", imgs), imgs.reshape(3, -1) / np.float32(255))
    with pytest.raises(ConfigError, match="descriptor must be one of"):
        describe("hog", imgs)
    with pytest.raises(ConfigError, match="at least 4 x 4"):
        dense_sift(np.zeros((2, 3, 3, 1), np.uint8))
