"""Presets on both back ends: shape/range, seeding, and the statistics docs/augmentation.md calls equivalent."""
import numpy as np
import pytest
import torch
from scipy import ndimage

from kit.errors import ConfigError
from kit.train.augment import PRESETS, albumentations_pipeline, apply_albumentations, crop_scale, tensor_augment


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("channels", [1, 3])
def test_presets_keep_shape_and_range(preset, channels):
    imgs = np.random.default_rng(0).integers(0, 256, (8, 28, 28, channels), dtype=np.uint8)
    out = apply_albumentations(albumentations_pipeline(preset, 28, 28, channels), imgs)
    assert out.shape == imgs.shape and out.dtype == np.uint8
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255
    y = tensor_augment(x, preset, torch.Generator().manual_seed(0))
    assert y.shape == x.shape and y.dtype == x.dtype and 0 <= y.min() and y.max() <= 1
    changed = not np.array_equal(out, imgs) and not torch.equal(x, y)
    assert changed == (preset != "none")


def test_bad_preset_and_shape_raise_config_error():
    with pytest.raises(ConfigError, match="augment"):
        tensor_augment(torch.rand(2, 3, 8, 8), "medium")
    with pytest.raises(ConfigError, match="augment"):
        albumentations_pipeline("medium", 8, 8, 3)
    with pytest.raises(ConfigError, match="channels"):
        tensor_augment(torch.rand(2, 2, 8, 8), "heavy")


@pytest.mark.parametrize("preset", ["light", "heavy", "strong"])
def test_tensor_augment_is_seeded_by_the_generator_alone(preset):
    x = torch.rand(4, 3, 32, 32)
    global_state = torch.get_rng_state()
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    a1, a2 = tensor_augment(x, preset, g1), tensor_augment(x, preset, g1)
    torch.manual_seed(12345)  # the global RNG must not matter
    b1, b2 = tensor_augment(x, preset, g2), tensor_augment(x, preset, g2)
    assert torch.equal(a1, b1) and torch.equal(a2, b2)
    assert not torch.equal(a1, a2)  # two views from one generator differ
    assert not torch.equal(a1, tensor_augment(x, preset, torch.Generator().manual_seed(2)))
    torch.set_rng_state(global_state)
    tensor_augment(x, preset, torch.Generator().manual_seed(1))
    assert torch.equal(torch.get_rng_state(), global_state)  # and is left untouched


def test_tensor_augment_keeps_dtype():
    """A bf16 batch comes back bf16: the very float32 augmentation (same generator) of the same values, rounded."""
    x = torch.rand(2, 3, 16, 16).bfloat16()
    y = tensor_augment(x, "heavy", torch.Generator().manual_seed(0))
    assert y.dtype == torch.bfloat16
    want = tensor_augment(x.float(), "heavy", torch.Generator().manual_seed(0))
    assert not torch.equal(want, x.float())  # it did augment
    assert torch.equal(y, want.bfloat16())


def test_crop_scale_choice():
    assert crop_scale("heavy", 32, 32) == (0.08, 1.0)
    assert crop_scale("heavy", 28, 28) == (0.2, 1.0)
    assert crop_scale("light", 64, 64) == crop_scale("strong", 28, 28) == (0.6, 1.0)


# ------------------------------------------------------------------ equivalence of the two back ends

def _both(imgs: np.ndarray, preset: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(albumentations, kornia) outputs as float NHWC in [0, 1]."""
    n, h, w, c = imgs.shape
    pipe = albumentations_pipeline(preset, h, w, c)
    pipe.set_random_seed(seed)
    a = apply_albumentations(pipe, imgs).astype(np.float32) / 255
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255
    k = tensor_augment(x, preset, torch.Generator().manual_seed(seed)).permute(0, 2, 3, 1).numpy()
    return a, k


def _dot_images(n: int, size: int, channels: int, period: int) -> np.ndarray:
    """Grey 2x2 dots on a lattice: grey so colour ops only rescale it, dots so their count measures the crop."""
    im = np.full((n, size, size, channels), 60, np.uint8)
    for i in range(period // 2 - 1, size, period):
        for j in range(period // 2 - 1, size, period):
            im[:, i:i + 2, j:j + 2] = 200
    return im


def _dot_counts(out: np.ndarray) -> np.ndarray:
    counts = []
    for im in out:
        g = im.mean(-1)
        counts.append(ndimage.label(g > (g.min() + g.max()) / 2)[1])
    return np.array(counts)


@pytest.mark.parametrize("preset, size, period", [("light", 64, 8), ("heavy", 64, 8), ("heavy", 28, 4)])
def test_crop_scale_is_the_same_on_both_backends(preset, size, period):
    """Dots visible after a resized crop ~ crop area x dots: E[count] = mean(scale range) x total."""
    imgs = _dot_images(300, size, 3, period)
    total = (size // period) ** 2
    expected = total * sum(crop_scale(preset, size, size)) / 2
    for out in _both(imgs, preset):
        counts = _dot_counts(out)
        assert abs(counts.mean() - expected) < 0.08 * total, (counts.mean(), expected)


@pytest.mark.parametrize("channels", [1, 3])
def test_heavy_brightness_factor_distribution_matches(channels):
    """On flat grey images contrast/hue/saturation/grey are no-ops: out/in is the brightness factor,
    U(0.6, 1.4) with p=0.8 and 1 otherwise: mean 1, std sqrt(0.8 * 0.8**2 / 12) = 0.207."""
    imgs = np.full((400, 16, 16, channels), 128, np.uint8)
    for out in _both(imgs, "heavy"):
        factor = out.mean(axis=(1, 2, 3)) / (128 / 255)
        assert abs(factor.mean() - 1) < 0.04
        assert abs(factor.std() - 0.207) < 0.025
        assert abs(np.mean(np.abs(factor - 1) < 0.01) - 0.2) < 0.06
        assert factor.min() > 0.58 and factor.max() < 1.42


def test_heavy_grayscale_fraction_matches():
    imgs = np.random.default_rng(1).integers(0, 256, (400, 16, 16, 3), dtype=np.uint8)
    for out in _both(imgs, "heavy"):
        gray = np.mean([np.allclose(im[..., 0], im[..., 1], atol=2 / 255) and
                        np.allclose(im[..., 1], im[..., 2], atol=2 / 255) for im in out])
        assert abs(gray - 0.2) < 0.06


@pytest.mark.parametrize("channels", [1, 3])
def test_strong_always_cuts_out_a_grey_box(channels):
    imgs = np.random.default_rng(2).integers(0, 256, (32, 32, 32, channels), dtype=np.uint8)
    imgs[imgs == 128] = 127  # so that mid grey can only come from the cutout
    a, k = _both(imgs, "strong")
    grey_a = (np.abs(a - 128 / 255) < 1e-6).all(-1).sum(axis=(1, 2))
    grey_k = (k == 0.5).all(-1).sum(axis=(1, 2))
    assert (grey_a >= int(0.14 * 32) ** 2).all()  # albumentations: a box of 14-50% of each side
    assert (grey_k >= 0.015 * 32 * 32).all()  # kornia RandomErasing: 2-25% of the area, whole pixels
