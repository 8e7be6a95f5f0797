import numpy as np
import pytest
import torch

from kit.train.augment import albumentations_pipeline, apply_albumentations, tensor_augment


@pytest.mark.parametrize("preset", ["none", "light", "heavy"])
@pytest.mark.parametrize("channels", [1, 3])
def test_presets_keep_shape_and_range(preset, channels):
    imgs = np.random.default_rng(0).integers(0, 256, (8, 28, 28, channels), dtype=np.uint8)
    out = apply_albumentations(albumentations_pipeline(preset, 28, 28, channels), imgs)
    assert out.shape == imgs.shape and out.dtype == np.uint8
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255
    y = tensor_augment(x, preset, torch.Generator().manual_seed(0))
    assert y.shape == x.shape and 0 <= y.min() and y.max() <= 1
    changed = not np.array_equal(out, imgs) and not torch.equal(x, y)
    assert changed == (preset != "none")


def test_tensor_augment_is_seeded():
    x = torch.rand(4, 3, 32, 32)
    a = tensor_augment(x, "heavy", torch.Generator().manual_seed(1))
    b = tensor_augment(x, "heavy", torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
