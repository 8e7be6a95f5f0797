"""Every registered model: forward/backward on gray and RGB inputs of several sizes, save/load round trip."""
import pytest
import torch

from kit.errors import ConfigError, DataError
from kit.models import create_model, list_models, load_model, save_model

NAMES = [n for n in list_models() if not n.startswith("timm:")] + ["timm:resnet18"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("channels, size", [(1, 28), (1, 8), (3, 32)])
def test_forward_backward(name, channels, size):
    torch.manual_seed(0)
    model = create_model(name, channels, size)
    x = torch.rand(3, channels, size, size)
    z = model.encode(x)
    assert z.shape == (3, model.latent_dim) and torch.isfinite(z).all()
    loss = z.pow(2).mean()
    if model.is_autoencoder:
        x_hat = model.decode(z)
        assert x_hat.shape == x.shape and 0 <= x_hat.min() and x_hat.max() <= 1
        loss = loss + (x_hat - x).pow(2).mean()
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("latent_dim", [1, 16, 1024])
def test_latent_dim_is_configurable(latent_dim):
    model = create_model("conv_ae4", 1, 28, latent_dim=latent_dim)
    assert model.encode(torch.rand(2, 1, 28, 28)).shape == (2, latent_dim)


def test_default_conv_ae4_latent_is_1024_on_32px():
    assert create_model("conv_ae4", 3, 32).latent_dim == 1024
    assert create_model("conv_ae5", 3, 32).latent_dim == 256


def test_unknown_model_and_bad_kwargs():
    with pytest.raises(ConfigError, match="unknown model 'conv_ae9'"):
        create_model("conv_ae9")
    with pytest.raises(ConfigError, match="model mlp_ae"):
        create_model("mlp_ae", 1, 8, latentdim=3)
    with pytest.raises(ConfigError, match="timm has no model"):
        create_model("timm:not_a_net")


def test_save_load_roundtrip(tmp_path):
    model = create_model("resnet_ae", 1, 28, latent_dim=8).eval()
    save_model(model, tmp_path / "m", "resnet_ae", {"latent_dim": 8}, 1, 28)
    loaded = load_model(tmp_path / "m")
    x = torch.rand(2, 1, 28, 28)
    assert torch.equal(model.encode(x), loaded.encode(x))


class _RunsCode:
    """Pickles as a call to os.mkdir(marker): loading it without weights_only would create the marker folder."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.mkdir, (self.marker,))


@pytest.fixture
def model_folder(tmp_path):
    model = create_model("mlp_ae", 1, 8, latent_dim=3)
    return save_model(model, tmp_path / "m", "mlp_ae", {"latent_dim": 3}, 1, 8)


@pytest.mark.parametrize("text,match", [
    ("{not json", r"not valid JSON"),
    ("[1, 2]", r"expected a JSON object, got list"),
    ('{"name": "mlp_ae", "kwargs": {}}', r"missing keys in_channels, image_size"),
    ('{"name": "mlp_ae", "kwargs": [], "in_channels": 1, "image_size": 8}', r"'kwargs' must be a mapping, got \[\]"),
    ('{"name": 3, "kwargs": {}, "in_channels": 1, "image_size": 8}', r"'name' must be a model name, got 3"),
    ('{"name": "mlp_ae", "kwargs": {}, "in_channels": "1", "image_size": 8}', r"'in_channels' must be an integer"),
    ('{"name": "mlp_ae", "kwargs": {}, "in_channels": 1, "image_size": true}', r"'image_size' must be an integer"),
    ('{"name": "mlp_ae", "kwargs": {}, "in_channels": 1, "image_size": 8, "head": {"n_classes": "ten"}}',
     r"'head' must be \{n_classes"),
    ('{"name": "conv_ae9", "kwargs": {}, "in_channels": 1, "image_size": 8}',
     r"cannot build.*unknown model 'conv_ae9'"),
    ('{"name": "mlp_ae", "kwargs": {"latentdim": 3}, "in_channels": 1, "image_size": 8}', r"cannot build.*latentdim"),
])
def test_garbage_model_json_is_one_line_naming_the_file(model_folder, text, match):
    (model_folder / "model.json").write_text(text)
    with pytest.raises(DataError, match=match) as e:
        load_model(model_folder)
    assert str(e.value).startswith(f"{model_folder / 'model.json'}: ") and "\n" not in str(e.value)


def test_model_pt_that_needs_code_is_refused_without_running_it(model_folder, tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"encoder.0.weight": _RunsCode(marker)}, model_folder / "model.pt")
    with pytest.raises(DataError, match=r"model\.pt: not a usable model state") as e:
        load_model(model_folder)
    assert "\n" not in str(e.value) and not marker.exists()


def test_truncated_missing_or_foreign_model_pt_is_one_line(model_folder):
    pt = model_folder / "model.pt"
    good = pt.read_bytes()
    pt.write_bytes(good[:100])
    with pytest.raises(DataError, match=r"model\.pt: not a usable model state"):
        load_model(model_folder)
    torch.save({"w": torch.zeros(2)}, pt)
    with pytest.raises(DataError, match=r"model\.pt: does not fit the model model\.json describes") as e:
        load_model(model_folder)
    assert "\n" not in str(e.value)
    torch.save([torch.zeros(2)], pt)
    with pytest.raises(DataError, match=r"model\.pt: not a state dict of tensors"):
        load_model(model_folder)
    pt.unlink()
    with pytest.raises(DataError, match=r"no model\.pt beside model\.json"):
        load_model(model_folder)
    pt.write_bytes(good)
    assert load_model(model_folder).encode(torch.rand(2, 1, 8, 8)).shape == (2, 3)


def test_timm_weights_file_that_needs_code_is_refused_without_running_it(tmp_path):
    from kit.models.weights import read_state_dict

    marker = tmp_path / "pwned"
    torch.save({"state_dict": {"conv.weight": _RunsCode(marker)}}, tmp_path / "w.pth")
    with pytest.raises(DataError, match=r"w\.pth: not a usable weights file") as e:
        read_state_dict(tmp_path / "w.pth")
    assert "\n" not in str(e.value) and not marker.exists()
    torch.save({"state_dict": {"conv.weight": torch.ones(1)}}, tmp_path / "ok.pth")
    assert torch.equal(read_state_dict(tmp_path / "ok.pth")["conv.weight"], torch.ones(1))


class _Custom:
    """A class of the user's own: torch.save pickles it by reference, so loading it needs this module's code."""


@pytest.mark.parametrize("payload,named", [(_Custom(), f"{__name__}._Custom"), (None, "posix.mkdir")])
def test_unsafe_file_refusal_is_one_whole_line_without_escape_codes(model_folder, tmp_path, payload, named):
    """torch's weights_only text holds terminal codes and several lines of advice, and its first line stops
    mid-sentence: kit says what the file holds and names the object instead, for model folders, checkpoints and
    weights files alike."""
    from kit.errors import ConfigError
    from kit.models.weights import read_state_dict
    from kit.train.loop import load_checkpoint

    obj = payload if payload is not None else _RunsCode(tmp_path / "pwned")
    torch.save({"encoder.0.weight": obj}, model_folder / "model.pt")
    errors = []
    for load, error in ((lambda: load_model(model_folder), DataError),
                        (lambda: load_checkpoint(model_folder / "model.pt", torch.device("cpu")), ConfigError),
                        (lambda: read_state_dict(model_folder / "model.pt"), DataError)):
        with pytest.raises(error) as e:
            load()
        errors.append(str(e.value))
    for text in errors:
        assert "\x1b" not in text and "\n" not in text and "[1m" not in text
        assert f"it holds a pickled {named}, which needs code to load" in text
        assert "save a state dict of tensors" in text and "two options" not in text
    assert errors[0] == (f"{model_folder / 'model.pt'}: not a usable model state (it holds a pickled {named}, which "
                         "needs code to load, not only tensors; kit reads these files with weights_only=True so that "
                         "they cannot run code: save a state dict of tensors)")
    assert not (tmp_path / "pwned").exists()


def test_one_line_cuts_long_messages_at_a_sentence_or_word():
    from kit.models.registry import load_error_reason, one_line

    assert one_line("\x1b[1mbold\x1b[0m text\nmore") == "bold text"
    first = "word " * 30 + "end of the first sentence."
    assert one_line(f"{first} " + "word " * 80) == first  # whole sentences when there is a long one
    cut = one_line("word " * 80)
    assert cut.endswith("word ...") and len(cut) <= 250
    assert load_error_reason(KeyError("101")) == "KeyError: '101'"
