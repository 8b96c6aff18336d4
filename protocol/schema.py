"""Export the protocol's JSON Schema: ``python -m protocol.schema [path]``.

The file is committed (``protocol/schema.json``); a test fails when it is stale.
"""

from __future__ import annotations

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
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Parole protocol v{VERSION}",
        "$defs": {
            **components,
            "VisitorFrame": visitor,
            "CounsellorFrame": counsellor,
            "ServerFrame": server,
        },
    }


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
