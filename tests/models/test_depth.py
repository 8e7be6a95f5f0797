"""`depth` of the autoencoders: parameter counts computed by hand from layer sizes, defaults unchanged."""
import pytest
import torch

from kit.errors import ConfigError
from kit.models import create_model, load_model, save_model


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def linear(a, b):
    return a * b + b


def bn(c):
    return 2 * c  # weight + bias


def mlp_count(pixels, latent, hidden):
    """Encoder pixels->h1->..->hd->latent, decoder mirrored; Linear+BN on every hidden layer."""
    enc = [pixels, *hidden]
    count = sum(linear(a, b) + bn(b) for a, b in zip(enc[:-1], enc[1:])) + linear(hidden[-1], latent)
    dec = [latent, *hidden[::-1]]
    count += sum(linear(a, b) + bn(b) for a, b in zip(dec[:-1], dec[1:])) + linear(hidden[0], pixels)
    return count


def conv_count(in_ch, chans):
    """ConvAutoEncoder with the flat code (latent_dim=None): bias-free 3x3 convs and 4x4 transposed convs + BN."""
    count, cin = 0, in_ch
    for c in chans:
        count += 9 * cin * c + bn(c)
        cin = c
    rev = chans[::-1] + [chans[0]]
    count += sum(16 * a * b + bn(b) for a, b in zip(rev[:-1], rev[1:]))
    return count + 9 * chans[0] * in_ch + in_ch


# Counts of the models as they were before `depth` existed (measured on the unedited code).
BEFORE = [("mlp_ae", 1, 8, {}, 348768), ("mlp_ae", 1, 28, {}, 1086768), ("mlp_ae", 3, 32, {"latent_dim": 10}, 3420682),
          ("mlp_ae", 1, 8, {"hidden": [64]}, 12768), ("conv_ae4", 1, 28, {}, 1093633), ("conv_ae4", 3, 32, {}, 1094787),
          ("conv_ae5", 1, 28, {}, 4634881), ("conv_ae5", 3, 32, {"width": 16}, 1094467)]


@pytest.mark.parametrize("name, channels, size, kwargs, count", BEFORE)
def test_default_architecture_unchanged(name, channels, size, kwargs, count):
    assert n_params(create_model(name, channels, size, **kwargs)) == count


def test_explicit_default_depth_is_the_default_model():
    for name, depth in [("mlp_ae", 2), ("conv_ae4", 4), ("conv_ae5", 5)]:
        default, explicit = create_model(name, 1, 28), create_model(name, 1, 28, depth=depth)
        assert {k: v.shape for k, v in default.state_dict().items()} == \
               {k: v.shape for k, v in explicit.state_dict().items()}


@pytest.mark.parametrize("depth, hidden", [(1, [512]), (2, [512, 256]), (3, [512, 256, 128])])
def test_mlp_depth_param_count_by_hand(depth, hidden):
    model = create_model("mlp_ae", 1, 8, latent_dim=16, depth=depth)
    assert n_params(model) == mlp_count(64, 16, hidden)
    linears = [m for m in model.encoder if isinstance(m, torch.nn.Linear)]
    assert len(linears) == depth + 1  # depth hidden layers + the latent projection
    x = torch.rand(4, 1, 8, 8)
    assert model.decode(model.encode(x)).shape == x.shape


def test_mlp_depth_counts_on_28px_match_layer_sizes():
    counts = [n_params(create_model("mlp_ae", 1, 28, depth=d)) for d in (1, 2, 3)]
    assert counts == [mlp_count(784, 32, [512]), mlp_count(784, 32, [512, 256]), mlp_count(784, 32, [512, 256, 128])]
    assert len(set(counts)) == 3


def test_mlp_depth_with_explicit_hidden_must_agree():
    assert n_params(create_model("mlp_ae", 1, 8, hidden=[64, 32], depth=2)) == mlp_count(64, 32, [64, 32])
    with pytest.raises(ConfigError, match="depth=3 but hidden"):
        create_model("mlp_ae", 1, 8, hidden=[64, 32], depth=3)
    for bad in (0, 4, True, "2"):
        with pytest.raises(ConfigError, match="mlp_ae: depth must be one of"):
            create_model("mlp_ae", 1, 8, depth=bad)


@pytest.mark.parametrize("depth", [2, 3, 4, 5])
def test_conv_ae4_depth_param_count_by_hand(depth):
    model = create_model("conv_ae4", 1, 32, depth=depth)
    chans = [min(32 * 2 ** i, 512) for i in range(depth)]
    assert n_params(model) == conv_count(1, chans)
    assert model.latent_dim == chans[-1] * (32 // 2 ** depth) ** 2
    x = torch.rand(2, 1, 32, 32)
    assert model.decode(model.encode(x)).shape == x.shape


def test_conv_ae5_depth_keeps_its_latent_and_changes_blocks():
    shallow, default = create_model("conv_ae5", 1, 28, depth=3), create_model("conv_ae5", 1, 28)
    assert shallow.latent_dim == default.latent_dim == 256
    convs = lambda m: sum(isinstance(layer, torch.nn.Conv2d) for layer in m.encoder.modules())  # noqa: E731
    assert convs(shallow) == 3 and convs(default) == 5
    # 3 blocks on a 32px working size: flat code 128 * 4 * 4, then Linear to/from the 256-d latent
    flat = 128 * 4 * 4
    assert n_params(shallow) == conv_count(1, [32, 64, 128]) + linear(flat, 256) + linear(256, flat)


def test_conv_depth_out_of_range_is_a_config_error():
    for name, bad in [("conv_ae4", 1), ("conv_ae4", 7), ("conv_ae5", 0)]:
        with pytest.raises(ConfigError, match=f"{name}: depth"):
            create_model(name, 1, 28, depth=bad)
    with pytest.raises(ConfigError, match="set latent_dim or depth"):
        create_model("conv_ae4", 3, 32, depth=2, width=64)  # flat code 128*8*8 = 8192 > 4096


def test_depth_survives_save_and_load(tmp_path):
    model = create_model("mlp_ae", 1, 8, latent_dim=4, depth=3).eval()
    save_model(model, tmp_path / "m", "mlp_ae", {"latent_dim": 4, "depth": 3}, 1, 8)
    loaded = load_model(tmp_path / "m")
    assert n_params(loaded) == n_params(model) == mlp_count(64, 4, [512, 256, 128])
    x = torch.rand(3, 1, 8, 8)
    assert torch.equal(model.encode(x), loaded.encode(x))
