"""Parsing of repeated ``--opt key=value`` options into typed values (YAML scalars)."""
from __future__ import annotations

import yaml

from kit.errors import ConfigError


def parse_options(items: list[str] | None) -> dict:
    """["limit=500", "root=../x", "resize=[32, 32]"] -> {"limit": 500, "root": "../x", "resize": [32, 32]}."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ConfigError(f"option {item!r} must look like key=value")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            out[key.strip()] = value
    return out
