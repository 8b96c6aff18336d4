"""The storm's proxy model (bench/peers.py ``Upstreams``), on plain values."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from bench.peers import Upstreams, behind_one_proxy


def server(port: int) -> Any:
    return SimpleNamespace(url=f"http://127.0.0.1:{port}")


def test_a_server_that_refused_is_passed_over_until_its_fail_timeout_ends() -> None:
    a, b = server(1), server(2)
    upstreams = Upstreams(fail_timeout=10.0)
    assert upstreams.usable(a) and upstreams.usable(b)
    upstreams.refused(b)
    assert upstreams.usable(a) and not upstreams.usable(b)
    upstreams.refused_at[b.url] = time.monotonic() - 10.0  # refused a fail_timeout ago
    assert upstreams.usable(b)


def test_the_clients_of_one_proxy_share_what_it_learnt() -> None:
    clients = [SimpleNamespace(upstreams=Upstreams()) for _ in range(3)]
    behind_one_proxy(clients)  # type: ignore[arg-type]
    clients[0].upstreams.refused(server(2))
    assert all(not c.upstreams.usable(server(2)) for c in clients)
