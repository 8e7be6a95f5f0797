"""Model registry in the style of timm: ``@register_model`` + ``create_model(name, ...)``."""
from __future__ import annotations

import json
import re
from pathlib import Path

import torch
from torch import nn

from kit.errors import ConfigError, DataError, KitError
from kit.io import atomic_path, write_json
from kit.registry import Registry

MODELS = Registry("model")
register_model = MODELS.register


def list_models() -> list[str]:
    return MODELS.names + ["timm:<name>"]


def create_model(name: str, in_channels: int = 1, image_size: int = 28, **kwargs) -> nn.Module:
    """Build a registered model; ``timm:<arch>`` builds a timm backbone (no downloads)."""
    if name.startswith("timm:"):
        from kit.models.timm_backbone import TimmEncoder

        return TimmEncoder(name[5:], in_channels=in_channels, image_size=image_size, **kwargs)
    factory = MODELS.get(name)  # did-you-mean error for unknown names
    try:
        return factory(in_channels=in_channels, image_size=image_size, **kwargs)
    except TypeError as e:
        raise ConfigError(f"model {name}: {e}") from None


def save_model(model: nn.Module, model_dir: str | Path, name: str, kwargs: dict, in_channels: int, image_size: int,
               extra: dict | None = None) -> Path:
    return write_model_folder(model, model_dir, {"name": name, "kwargs": kwargs, "in_channels": in_channels,
                                                 "image_size": image_size, **(extra or {})})


def write_model_folder(model: nn.Module, model_dir: str | Path, meta: dict) -> Path:
    """model.pt (state dict, atomic) then model.json: what ``load_model`` reads back."""
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(model_dir / "model.pt") as tmp:
        torch.save(model.state_dict(), tmp)
    write_json(model_dir / "model.json", meta)
    return model_dir


def load_model(model_dir: str | Path, device: str = "cpu") -> nn.Module:
    """Rebuild from model.json and load model.pt; a finetuned folder gives encoder + classifier head.

    model.pt loads with ``weights_only=True`` (a copied model folder cannot run code). A malformed model.json, an
    unsafe, truncated or foreign model.pt, or weights that do not fit the model are one-line DataErrors naming
    the file."""
    model_dir = Path(model_dir)
    meta_path, pt_path = model_dir / "model.json", model_dir / "model.pt"
    if not meta_path.exists():
        raise DataError(f"{model_dir}: not a model folder (no model.json)")
    meta = _model_meta(meta_path)
    kwargs = dict(meta["kwargs"])
    if meta["name"].startswith("timm:"):  # model.pt holds the weights: no second read of the file, no download
        kwargs.pop("weights", None), kwargs.pop("pretrained", None)
    try:
        model = create_model(meta["name"], meta["in_channels"], meta["image_size"], **kwargs)
        if meta.get("head"):
            from kit.models.classifier import Classifier

            model = Classifier(model, meta["head"]["n_classes"], meta["head"].get("hidden", 0))
    except (KitError, TypeError, ValueError, RuntimeError) as e:
        raise DataError(f"{meta_path}: cannot build the model it describes ({_first_line(e)})") from None
    if not pt_path.exists():
        raise DataError(f"{model_dir}: no model.pt beside model.json (an unfinished or copied-in-part model folder)")
    try:
        state = torch.load(pt_path, map_location=device, weights_only=True)
    except Exception as e:  # noqa: BLE001  truncated zip, pickle that needs code, not a torch file at all
        raise DataError(f"{pt_path}: not a usable model state ({load_error_reason(e)})") from None
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise DataError(f"{pt_path}: not a state dict of tensors")
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise DataError(f"{pt_path}: does not fit the model {meta_path.name} describes ({_first_line(e)})") from None
    return model.to(device).eval()


def _model_meta(path: Path) -> dict:
    """model.json, checked: name (str), kwargs (mapping), in_channels / image_size (ints >= 1), optional head
    ({n_classes: int >= 1, hidden: int >= 0})."""
    try:
        meta = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise DataError(f"{path}: not valid JSON ({_first_line(e)})") from None

    def is_int(v, low: int) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= low

    if not isinstance(meta, dict):
        raise DataError(f"{path}: expected a JSON object, got {type(meta).__name__}")
    missing = [k for k in ("name", "kwargs", "in_channels", "image_size") if k not in meta]
    if missing:
        raise DataError(f"{path}: missing keys {', '.join(missing)}")
    problems = [(k, want) for k, ok, want in (
        ("name", isinstance(meta["name"], str) and meta["name"], "a model name"),
        ("kwargs", isinstance(meta["kwargs"], dict), "a mapping"),
        ("in_channels", is_int(meta["in_channels"], 1), "an integer >= 1"),
        ("image_size", is_int(meta["image_size"], 1), "an integer >= 1"),
    ) if not ok]
    head = meta.get("head")
    if head and not (isinstance(head, dict) and is_int(head.get("n_classes"), 1)
                     and is_int(head.get("hidden", 0), 0)):
        problems.append(("head", "{n_classes: integer >= 1, hidden: integer >= 0}"))
    if problems:
        key, want = problems[0]
        raise DataError(f"{path}: '{key}' must be {want}, got {meta[key]!r}")
    return meta


def _first_line(e: BaseException) -> str:
    return one_line(str(e)) or type(e).__name__


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")  # terminal colour / bold codes (torch puts some in its errors)
_MAX_REASON = 240


def one_line(text: str, limit: int = _MAX_REASON) -> str:
    """The first line of ``text`` without terminal escape codes; one longer than ``limit`` is cut at the end of its
    last whole sentence (else of a word, marked with ...), never in the middle of a word."""
    lines = [" ".join(line.split()) for line in _ANSI.sub("", text).splitlines()]
    line = next((line for line in lines if line), "")
    if len(line) <= limit:
        return line
    head = line[:limit]
    end = head.rfind(". ")
    if end > limit // 3:
        return head[:end + 1]
    return head[:head.rfind(" ")].rstrip(" ,;:") + " ..." if " " in head else head + "..."


def load_error_reason(e: BaseException) -> str:
    """Why ``torch.load(..., weights_only=True)`` (or timm's reader) refused a file, in one whole line.

    torch's own text for a file that needs code is several lines of advice with terminal escape codes, whose first
    line stops mid-sentence; kit says what the file holds and names the object that needed code instead."""
    text = _ANSI.sub("", str(e))
    found = re.search(r"Unsupported globals?: (?:GLOBAL )?([\w.]+)|unsupported GLOBAL ([\w.]+)", text)  # torch, timm
    if found:
        name = (found.group(1) or found.group(2)).rstrip(".")
        return (f"it holds a pickled {name}, which needs code to load, not only tensors; kit reads these files with "
                "weights_only=True so that they cannot run code: save a state dict of tensors")
    if "WeightsUnpickler error:" in text or "Weights only load failed" in text:
        tail = text.split("WeightsUnpickler error:", 1)[1] if "WeightsUnpickler error:" in text else ""
        if not tail.strip():  # torch's advice first, then the reason on a line of its own
            tail = next((line for line in text.splitlines()[1:] if line.strip() and not line.strip().startswith(
                ("(1)", "(2)", "Check the documentation", "Please file an issue", "Weights only load failed"))), "")
        what = " ".join(re.split(r"\.\s|\n", tail.strip(), maxsplit=1)[0].split()).rstrip(".")
        return f"not a file of tensors torch reads with weights_only=True{f' ({what})' if what else ''}"
    line = _first_line(e)
    return f"{type(e).__name__}: {line}" if len(line) < 16 and type(e).__name__ not in line else line
