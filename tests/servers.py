"""Real Parole servers for tests: ``python -m server.cli serve`` on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def logs(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)


# Every test server recounts who staffs the poles within a second (10 s by default), so a
# counsellor's arrival reaches waiting visitors' estimates without a test sitting it out.
TEST_ENV = {"PAROLE_STAFFING_INTERVAL": "1"}


def start_server(
    tmp: Path,
    *args: str,
    env: dict[str, str] | None = None,
    demo: bool = True,
    port: int | None = None,
) -> RunningServer:
    """Start a server (with the demo Cité) and wait until it answers /healthz; on
    ``port`` if given (a restart where the last one listened), else a free one.

    It runs in the repository, so it keeps no state file unless ``args`` name one:
    tests never write ``parole-state.json`` there.
    """
    port = port or free_port()
    log = tmp / f"server-{port}.log"
    restarts = 1
    while log.exists():  # the same port again: keep the last one's lines
        restarts += 1
        log = tmp / f"server-{port}-{restarts}.log"
    if not any(arg.startswith("--state-file") for arg in args):
        args = ("--state-file", "", *args)
    demo_args = ["--demo"] if demo else []
    command = [sys.executable, "-m", "server.cli", "serve", "--port", str(port), *demo_args, *args]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **TEST_ENV, **(env or {})},
    )
    server = RunningServer(port, process, log, list(args))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.logs()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not answer within 30 s:\n{server.logs()}")
