from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import RunningServer, start_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """A fresh server with the demo Cité (empty queues), stopped after the test."""
    running = start_server(
        tmp_path, "--resume-grace", "2", "--end-grace", "2", env={"PAROLE_HELLO_TIMEOUT": "2"}
    )
    yield running
    running.stop()
