"""Dotted ``key=value`` overrides: try a variant of a run config from the command line without editing its YAML.

    apply_overrides(cfg, ["pretrain.epochs=20", "cluster.method=gmm", "reduce.0.n_components=20"])

Values are YAML (``20`` int, ``0.5`` float, ``true`` bool, ``[a, b]`` list, ``{k: v}`` mapping, ``null``); text
that is not valid YAML stays a string. Integer path parts index lists. Unknown keys are left to
kit.config.validate_config, which knows the schema and suggests the closest key.
"""
from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from kit.errors import ConfigError

_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def parse_value(text: str) -> Any:
    """YAML scalar/list/mapping; a string when the text is not valid YAML (e.g. '[unclosed').

    One exception to YAML 1.1: '1e-3' is a float, not a string, since that is what `lr=1e-3` means on a command line.
    """
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str) and _FLOAT.fullmatch(text.strip()):  # unquoted only: "'1e-3'" stays a string
        return float(value)
    return value


def split_item(item: str, where: str) -> tuple[str, Any]:
    """'a.b=1' -> ('a.b', 1). The one key=value syntax of every kit option and override."""
    if "=" not in item:
        raise ConfigError(f"{where}: expected key=value, got {item!r}")
    key, text = item.split("=", 1)
    key = key.strip()
    if not key:
        raise ConfigError(f"{where}: empty key in {item!r}")
    return key, parse_value(text)


def apply_overrides(cfg: dict | None, items: list[str] | None) -> dict:
    """A deep copy of ``cfg`` with every ``dotted.key=value`` of ``items`` set, in order."""
    if cfg is None:
        cfg = {}
    if not isinstance(cfg, dict):
        raise ConfigError(f"cannot apply overrides: the config is a {type(cfg).__name__}, not a mapping")
    out = copy.deepcopy(cfg)
    for item in items or []:
        key, value = split_item(item, "override")
        set_dotted(out, key, value, item)
    return out


def set_dotted(cfg: dict, key: str, value: Any, item: str | None = None) -> None:
    """Set ``cfg[a][b][0]...`` for key 'a.b.0'; missing mappings on the way are created."""
    item = item or f"{key}=..."
    parts = key.split(".")
    if any(not p.strip() for p in parts):
        raise ConfigError(f"override {item!r}: empty part in key {key!r}")
    node: Any = cfg
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        path = ".".join(parts[:depth]) or "the config"
        if isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
        elif isinstance(node, list):
            index = _index(part, node, path, item)
            if last:
                node[index] = value
            else:
                node = node[index]
        else:
            raise ConfigError(f"override {item!r}: {path} is {type(node).__name__} {node!r}, not a mapping or list")


def _index(part: str, node: list, path: str, item: str) -> int:
    try:
        index = int(part)
    except ValueError:
        raise ConfigError(f"override {item!r}: {path} is a list; index it with an integer, not {part!r}") from None
    if not 0 <= index < len(node):
        raise ConfigError(f"override {item!r}: index {index} out of range for {path} ({len(node)} items)")
    return index
