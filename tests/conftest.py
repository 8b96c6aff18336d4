from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.servers import RunningServer, start_server

# Hypothesis: "ci" (chosen when CI is set) draws the same examples for the same code on
# every run, so one commit gives one answer; its deadline is one a busy 2-core machine
# meets. "explore" (the default locally, `make fuzz`) draws new ones each run; a
# counterexample it finds is printed with its seed (`--hypothesis-seed=N` replays it)
# and is then pinned in the test with @example.
settings.register_profile("ci", derandomize=True, deadline=2000, print_blob=True)
settings.register_profile("explore", deadline=2000, print_blob=True)
settings.register_profile("fuzz", parent=settings.get_profile("explore"), max_examples=2000)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "explore")
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """A fresh server with the demo Cité (empty queues), stopped after the test."""
    running = start_server(
        tmp_path, "--resume-grace", "2", "--end-grace", "2", env={"PAROLE_HELLO_TIMEOUT": "2"}
    )
    yield running
    running.stop()
