"""Export the protocol's JSON Schema: ``python -m protocol.schema [path]``.

The file is committed (``protocol/schema.json``); a test fails when it is stale.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from .messages import VERSION, CounsellorMessage, ServerMessage, VisitorMessage

SCHEMA_PATH = Path(__file__).with_name("schema.json")


def build() -> dict[str, Any]:
    (visitor, counsellor, server), components = msgspec.json.schema_components(
        [VisitorMessage, CounsellorMessage, ServerMessage], ref_template="#/$defs/{name}"
    )
    built: dict[str, Any] = _cleaned(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"Parole protocol v{VERSION}",
            "$defs": {
                **components,
                "VisitorFrame": visitor,
                "CounsellorFrame": counsellor,
                "ServerFrame": server,
            },
        }
    )
    return built


def _cleaned(node: Any) -> Any:
    """Every description as :func:`inspect.cleandoc` lays it out: msgspec 0.23 dedents
    docstrings and 0.22 kept their indentation, and the file must change only when the
    protocol does, not with the library's version."""
    if isinstance(node, dict):
        return {
            key: inspect.cleandoc(value)
            if key == "description" and isinstance(value, str)
            else _cleaned(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_cleaned(item) for item in node]
    return node


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else SCHEMA_PATH
    path.write_text(render(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
