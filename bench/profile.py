"""Where Parole's CPU goes under the benchmark's load: ``python -m bench.profile``.

Runs the throughput scenario's load (visitors on A, counsellors on B) at one
rate against both servers started under cProfile, then prints each process's
hottest functions. cProfile roughly doubles the cost of Python calls, so read
the shares, not the absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import pstats
import signal
import sys
import tempfile
from pathlib import Path

import uvloop

from .load import conversations_for, offer
from .peers import Ledger
from .procs import raise_open_files, redis_url, start_parole
from .scenarios import ParoleTalk, cluster, stop_all
from .staff import create_accounts


async def profile(rate: float, seconds: float, folder: Path, top: int) -> None:
    ledger = Ledger()
    with cluster(folder, "parole", 0) as (redis, _):
        logins = await create_accounts(redis_url(redis), conversations_for(rate))
        outputs = {name: folder / f"{name}.prof" for name in "ab"}
        a = start_parole(folder, "a", redis_url(redis), {}, profile=outputs["a"])
        b = start_parole(folder, "b", redis_url(redis), {}, profile=outputs["b"])
        try:
            talk = ParoleTalk(a, b, logins, ledger)
            parties = await talk.ensure(conversations_for(rate))
            await offer(parties, rate, seconds, "profile")
            await asyncio.sleep(2)
            stop_all(talk.peers)
        finally:
            # uvicorn re-raises the signal it stopped on: SIGTERM would kill the process
            # before cProfile writes; SIGINT becomes a KeyboardInterrupt, and it writes.
            a.stop(signal.SIGINT)
            b.stop(signal.SIGINT)
        for name, path in outputs.items():
            for order in ("tottime", "cumulative"):
                text = io.StringIO()
                pstats.Stats(str(path), stream=text).sort_stats(order).print_stats(top)
                role = "visitors" if name == "a" else "consoles"
                print(f"=== process {name} ({role}), by {order}")
                print(text.getvalue().split("\n", 4)[-1][:20000])


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--rate", type=float, default=500, help="messages/s offered")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--top", type=int, default=30, help="functions shown per process")
    args = parser.parse_args()
    raise_open_files()
    with tempfile.TemporaryDirectory(prefix="parole-profile-") as tmp:
        uvloop.run(profile(args.rate, args.seconds, Path(tmp), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
