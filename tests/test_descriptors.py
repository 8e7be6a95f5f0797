"""Dense SIFT: kornia's descriptor on the grey image, a fixed 5 x 5 grid at any size, and shift tolerance."""
import numpy as np
import pytest
import torch

from kit.descriptors import GRID, dense_sift, describe, dsift_geometry
from kit.errors import ConfigError


def blobs(n=6, size=28, channels=1, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.zeros((n, size, size, channels), np.uint8)
    for i in range(n):
        cy, cx = rng.uniform(size * 0.3, size * 0.7, 2)
        img = 255 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2 * rng.uniform(0.2, 5)) / (size * 0.8))
        out[i] = img[..., None].astype(np.uint8)
    return out


def test_equals_kornia_on_the_grey_image():
    import kornia
    import kornia.feature as KF

    rgb = np.random.default_rng(1).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    size, stride = dsift_geometry(32, 32)
    x = kornia.color.rgb_to_grayscale(torch.from_numpy(rgb).permute(0, 3, 1, 2).float() / 255)
    want = KF.DenseSIFTDescriptor(8, 4, size, stride=stride, padding=0)(x).flatten(1).detach().numpy()
    np.testing.assert_allclose(dense_sift(rgb, batch_size=2), want, rtol=1e-5, atol=1e-6)


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
