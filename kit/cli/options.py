"""Parsing of repeated ``--opt key=value`` options into typed values: the same syntax as `kit run` overrides."""
from __future__ import annotations

from kit.overrides import split_item


def parse_options(items: list[str] | None, where: str = "--opt") -> dict:
    """["limit=500", "root=../x", "resize=[32, 32]"] -> {"limit": 500, "root": "../x", "resize": [32, 32]}."""
    return dict(split_item(item, where) for item in items or [])


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside [] and {}: 'a=1,b=[2, 3]' -> ['a=1', 'b=[2, 3]']."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth = max(depth - 1, 0)
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]
