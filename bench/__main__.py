"""``python -m bench``: run the benchmark and write its results (``--help`` for options)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import tempfile
from pathlib import Path

import uvloop

from .procs import raise_open_files
from .run import SCENARIOS, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).parent / "results",
        help="folder for latest.json, report.md and the chart",
    )
    parser.add_argument("--smoke", action="store_true", help="toy sizes: a quick check")
    parser.add_argument(
        "--only", action="append", choices=sorted(SCENARIOS), help="run only these scenarios"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    raise_open_files()
    # Stopped by SIGTERM: unwind as for Ctrl-C, so every server and redis-server is stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="parole-bench-") as tmp:
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        asyncio.run(run(args.out, Path(tmp), smoke=args.smoke, only=args.only))
    return 0


if __name__ == "__main__":
    sys.exit(main())
