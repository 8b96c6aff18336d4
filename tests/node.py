"""Running a piece of the browser's code under Node from a Python test, to hold it to
its Python twin (identity patterns, the QR encoder)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[1]


def module_url(path: str) -> str:
    """The file: URL of a module of the repository, for an ``import`` in a script."""
    return (ROOT / path).as_uri()


def run_json(script: str, data: object, tmp_path: Path) -> Any:
    """Run ``script`` (an ES module) with ``data`` as JSON in the file named by
    ``process.argv[1]``; returns what it printed, read as JSON."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run the browser's code (make tools installs it)")
    source = tmp_path / "input.json"
    source.write_text(json.dumps(data))
    run = subprocess.run(
        [node, "--input-type=module", "-e", script, str(source)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout)
