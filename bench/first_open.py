"""``python -m bench.first_open``: how long a visitor on a slow line waits, from the
click on the launcher to a pole list they can use, and how many bytes that costs.

Chromium (Debian's) opens the demo host page with the network emulated as DevTools'
"Slow 3G" (2 s round trip, 400 kbit/s each way) and the CPU slowed four times. Each run
is a new browser profile (a first visit); then the same profile reloads the host page
and opens the widget again (a second visit, what the caches save). Prints the median of
``--runs`` runs; ops/benchmark.md keeps the figures. Serves the demo itself unless
given ``--url`` of a running Parole.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import CDPSession, Page, sync_playwright

from tests.browser.widget import ARGS, CHROMIUM, LAUNCHER
from tests.servers import free_port

SLOW_3G = {
    "offline": False,
    "latency": 2000,
    "downloadThroughput": 50_000,
    "uploadThroughput": 50_000,
}
CPU_SLOWDOWN = 4


class Wire:
    """Bytes received on the wire (after compression), summed from DevTools' events."""

    def __init__(self, cdp: CDPSession) -> None:
        self.bytes = 0
        self.requests = 0
        cdp.on("Network.loadingFinished", self._finished)

    def _finished(self, event: dict[str, Any]) -> None:
        self.bytes += int(event["encodedDataLength"])
        self.requests += 1


def open_widget(page: Page, url: str, wire: Wire) -> tuple[float, int, int]:
    page.goto(f"{url}/demo", wait_until="load")
    page.get_by_role("button", name=LAUNCHER).wait_for()
    before_bytes, before_requests = wire.bytes, wire.requests
    start = time.perf_counter()
    page.get_by_role("button", name=LAUNCHER).click()
    chat = page.frame_locator("iframe")
    chat.locator("#poles button:enabled").first.wait_for(timeout=120_000)
    seconds = time.perf_counter() - start
    return seconds, wire.bytes - before_bytes, wire.requests - before_requests


def measure(url: str, runs: int) -> dict[str, list[tuple[float, int, int]]]:
    results: dict[str, list[tuple[float, int, int]]] = {"first": [], "again": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(runs):
            context = browser.new_context()
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", SLOW_3G)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
            wire = Wire(cdp)
            results["first"].append(open_widget(page, url, wire))
            results["again"].append(open_widget(page, url, wire))
            context.close()
        browser.close()
    return results


def wait_until_up(url: str) -> None:
    for _ in range(200):
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"no Parole answering at {url}")


@contextlib.contextmanager
def demo(url: str | None) -> Iterator[str]:
    """``url`` if given (a running Parole), else the demo served for the run."""
    if url is not None:
        yield url
        return
    port = free_port()
    parole = Path(sys.executable).with_name("parole")
    server = subprocess.Popen(
        [str(parole), "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.first_open", description=__doc__)
    parser.add_argument("--url", help="a running Parole with the demo Cité")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with demo(args.url) as url:
        for name, rows in measure(url, args.runs).items():
            seconds = statistics.median(r[0] for r in rows)
            kb = statistics.median(r[1] for r in rows) / 1000
            requests = statistics.median(r[2] for r in rows)
            print(
                f"{name:>6}: {seconds:.2f} s to a usable pole list, "
                f"{kb:.1f} kB, {requests:g} requests"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
