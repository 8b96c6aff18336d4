"""The processes a run starts (redis-server, Parole, the bare relay) and what /proc says of them.

Bench-local twins of ``tests/redis_server.py`` and ``tests/servers.py``: those fail
through pytest, and the bench must also kill -9 and read CPU and RSS.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raise_open_files() -> int:
    """Lift this process's soft limit on open files to the hard one (children inherit it)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its threads included)."""
    with open(f"/proc/{pid}/stat") as f:
        # The command name may hold spaces: fields are counted after its closing parenthesis.
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE_KIB


def open_files_limit(pid: int) -> int:
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    raise RuntimeError("no open-files line in /proc/limits")


@dataclass
class Proc:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """kill -9: no clean close, no lease dropped, sockets reset by the kernel.

        Does not wait for the process to be gone (the kernel takes a while to close
        thousands of sockets): the clients learn of the crash from their sockets, and
        the event loop that runs them must stay free to hear it.
        """
        self.process.send_signal(signal.SIGKILL)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
                self.process.wait(10)

    def tracebacks(self, keep: int = 3) -> dict[str, Any]:
        """How many Python tracebacks this process logged, and the first ``keep`` of them."""
        lines = self.log.read_text(errors="replace").splitlines()
        found: list[str] = []
        for i, line in enumerate(lines):
            if line.startswith("{") and '"traceback"' in line:  # a log line (JSON)
                try:
                    found.append(json.loads(line)["traceback"])
                except (ValueError, KeyError):
                    found.append(line)
            elif line.startswith("Traceback"):  # printed outside logging
                end = i + 1
                while end < len(lines) and lines[end].startswith(" "):
                    end += 1
                found.append("\n".join(lines[max(i - 1, 0) : end + 1]))
        return {"count": len(found), "first": found[:keep]}


def _die_with_parent() -> None:
    """In the child, before exec: be sent SIGTERM if the bench dies, even by kill -9."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _spawn(name: str, port: int, command: list[str], folder: Path, env: dict[str, str]) -> Proc:
    log = folder / f"{name}-{port}.log"
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
        preexec_fn=_die_with_parent,
    )
    return Proc(name, port, process, log)


def start_redis(folder: Path) -> Proc:
    """A redis-server of the run's own, on a free port, without persistence."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError("redis-server is missing: install it (apt-get install redis-server)")
    port = free_port()
    options = {
        "port": str(port),
        "bind": "127.0.0.1",
        "save": "",
        "appendonly": "no",
        "dir": str(folder),
    }
    arguments = [part for name, value in options.items() for part in (f"--{name}", value)]
    proc = _spawn("redis", port, [executable, *arguments], folder, {})
    client = redis.Redis(port=port, socket_timeout=5)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if client.ping():
                return proc
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.stop()
    raise RuntimeError(f"redis-server did not start: {proc.log.read_text(errors='replace')}")


def redis_url(proc: Proc) -> str:
    return f"redis://127.0.0.1:{proc.port}/0"


def redis_used_memory(proc: Proc) -> int:
    info = redis.Redis(port=proc.port, socket_timeout=5).info("memory")
    return int(info["used_memory"])


def _wait_healthy(proc: Proc, path: str) -> Proc:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.log.read_text(errors='replace')}")
        try:
            if httpx.get(proc.url + path, timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.stop()
    raise RuntimeError(f"{proc.name} did not answer within 30 s")


def start_parole(
    folder: Path, name: str, backend: str, env: dict[str, str], profile: Path | None = None
) -> Proc:
    """``parole serve --demo`` on a free port, as ops would run it (default logging).

    With ``profile``, under cProfile, whose statistics are written there when it stops.
    """
    port = free_port()
    profiler = ["-m", "cProfile", "-o", str(profile)] if profile else []
    serve = ["-m", "server.cli", "serve", "--port", str(port), "--demo"]
    command = [sys.executable, *profiler, *serve]
    proc = _spawn(name, port, [*command, "--backend", backend], folder, env)
    return _wait_healthy(proc, "/healthz")


def start_relay(folder: Path, name: str, backend: str) -> Proc:
    port = free_port()
    command = [sys.executable, "-m", "bench.relay", "--port", str(port), "--redis", backend]
    return _wait_healthy(_spawn(name, port, command, folder, {}), "/healthz")
