"""Dotted ``key=value`` overrides: try a variant of a run config from the command line without editing its YAML.

    apply_overrides(cfg, ["pretrain.epochs=20", "cluster.method=gmm", "reduce.0.n_components=20"])

Values are YAML (``20`` int, ``0.5`` float, ``true`` bool, ``[a, b]`` list, ``{k: v}`` mapping, ``null``); text
that is not valid YAML stays a string. Integer path parts index lists. Unknown keys are left to
kit.config.validate_config, which knows the schema and suggests the closest key.

``~key`` (as in Hydra) deletes a key, so the option falls back to its default or a section is dropped:
``~pretrain.model_kwargs.latent_dim``, ``~finetune``, ``~reduce.1``. ``key=null`` sets null, which is a value of
its own (``submit.copy_to=null``: no copy), not the default.
"""
from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from kit.errors import ConfigError, did_you_mean

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
        if item.strip().startswith("~"):
            delete_dotted(out, _deleted_key(item), item)
            continue
        key, value = split_item(item, "override")
        set_dotted(out, key, value, item)
    return out


def _deleted_key(item: str) -> str:
    """'~a.b' -> 'a.b'. A value has no meaning in a deletion, so '~a.b=1' is an error, not a silent set."""
    key = item.strip()[1:].strip()
    if "=" in key:
        raise ConfigError(f"override {item!r}: ~KEY deletes a key and takes no value; use {key.split('=', 1)[0]}=VALUE "
                          "to set it")
    if not key:
        raise ConfigError(f"override {item!r}: empty key after '~'")
    return key


def set_dotted(cfg: dict, key: str, value: Any, item: str | None = None) -> None:
    """Set ``cfg[a][b][0]...`` for key 'a.b.0'; missing mappings on the way are created."""
    item = item or f"{key}=..."
    node, last, path = _parent(cfg, key, item, create=True)
    if isinstance(node, dict):
        node[last] = value
    else:
        node[_index(last, node, path, item)] = value


def delete_dotted(cfg: dict, key: str, item: str | None = None) -> None:
    """Remove ``cfg[a][b]`` for key 'a.b' (a list item for an integer part); a key that is not there is an error
    naming the closest one, since a typo would otherwise delete nothing and say nothing."""
    item = item or f"~{key}"
    node, last, path = _parent(cfg, key, item, create=False)
    if isinstance(node, list):
        del node[_index(last, node, path, item)]
        return
    if last not in node:
        raise _missing(item, path, last, node)
    del node[last]


def _parent(cfg: dict, key: str, item: str, create: bool) -> tuple[dict | list, str, str]:
    """(the mapping or list that holds the key's last part, that part, the dotted path to the holder).
    ``create``: missing mappings on the way are made (setting); otherwise a missing one is an error (deleting)."""
    parts = key.split(".")
    if any(not p.strip() for p in parts):
        raise ConfigError(f"override {item!r}: empty part in key {key!r}")
    node: Any = cfg
    for depth, part in enumerate(parts):
        path = ".".join(parts[:depth]) or "the config"
        if not isinstance(node, (dict, list)):
            raise ConfigError(f"override {item!r}: {path} is {type(node).__name__} {node!r}, not a mapping or list")
        if depth == len(parts) - 1:
            break
        if isinstance(node, list):
            node = node[_index(part, node, path, item)]
        elif node.get(part) is None and create:
            node[part] = {}
            node = node[part]
        elif part not in node:
            raise _missing(item, path, part, node)
        else:
            node = node[part]
    return node, parts[-1], path


def _missing(item: str, path: str, part: str, node: dict) -> ConfigError:
    return ConfigError(f"override {item!r}: {path} has no key {part!r} to delete{did_you_mean(part, node)}")


def _index(part: str, node: list, path: str, item: str) -> int:
    try:
        index = int(part)
    except ValueError:
        raise ConfigError(f"override {item!r}: {path} is a list; index it with an integer, not {part!r}") from None
    if not 0 <= index < len(node):
        raise ConfigError(f"override {item!r}: index {index} out of range for {path} ({len(node)} items)")
    return index


def parse_spec(text: str, where: str, name_key: str = "kind") -> dict[str, Any]:
    """'pca:n_components=50,whiten=true' -> {name_key: 'pca', 'n_components': 50, 'whiten': True}.

    The one way an option names a thing with options of its own (a reduce step, a data source): NAME, then after
    ':' comma-separated key=value items, each read as every other kit key=value is (split_item)."""
    name, _, items = text.partition(":")
    name = name.strip()
    if not name or "=" in name or "," in name:
        raise ConfigError(f"{where} {text!r}: expected NAME[:key=value,...], e.g. pca:n_components=50")
    return {name_key: name, **dict(split_item(item, f"{where} {text!r}") for item in split_top_level(items))}


def split_top_level(text: str) -> list[str]:
    """The one comma splitter (sweep values, --step options): '1,2' -> ['1', '2']; commas inside [], {} or quotes
    do not split: '[a,b],c' -> ['[a,b]', 'c']."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]
