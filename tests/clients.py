"""Websocket and HTTP clients speaking Parole's protocol, for integration tests."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from tests.servers import RunningServer

TIMEOUT = 10.0


class Client:
    """One websocket; ``expect`` waits for a frame, keeping the others for later."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []  # everything received, in order
        self._unread: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, url: str, origin: str | None = None, cookie: str | None = None) -> Client:
        headers = {"Cookie": cookie} if cookie else {}
        ws = await websockets.connect(
            url,
            origin=origin,  # type: ignore[arg-type]
            additional_headers=headers,
            open_timeout=TIMEOUT,
        )
        return cls(ws)

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def _receive(self, timeout: float) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        frame: dict[str, Any] = json.loads(raw)
        self.frames.append(frame)
        return frame

    async def expect(self, type_: str, timeout: float = TIMEOUT, **fields: Any) -> dict[str, Any]:
        """The first unread frame of ``type_`` whose fields match."""

        def matches(frame: dict[str, Any]) -> bool:
            return frame["type"] == type_ and all(frame.get(k) == v for k, v in fields.items())

        for frame in self._unread:
            if matches(frame):
                self._unread.remove(frame)
                return frame
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self._receive(max(deadline - loop.time(), 0.01))
            if matches(frame):
                return frame
            self._unread.append(frame)

    async def first_of(self, *types: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The first unread frame of any of ``types`` (an answer that may be either)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for frame in self._unread:
            if frame["type"] in types:
                self._unread.remove(frame)
                return frame
        while True:
            frame = await self._receive(max(deadline - loop.time(), 0.01))
            if frame["type"] in types:
                return frame
            self._unread.append(frame)

    async def quiet(self, seconds: float = 0.3) -> list[dict[str, Any]]:
        """Everything that arrives within ``seconds`` (plus what was unread)."""
        got, self._unread = self._unread, []
        try:
            while True:
                got.append(await self._receive(seconds))
        except TimeoutError:
            return got

    def events(self, conversation: str) -> list[dict[str, Any]]:
        return [
            f for f in self.frames if f["type"] == "event" and f["conversation"] == conversation
        ]

    async def close(self) -> None:
        await self.ws.close()


async def visitor(
    server: RunningServer, pole: str = "emploi", question: str | None = None, **join: Any
) -> tuple[Client, dict[str, Any]]:
    """A visitor who joined ``pole``; returns the client and its session frame."""
    client = await Client.open(server.ws("/ws/visitor"))
    await client.send({"type": "hello", "versions": [1]})
    await client.expect("welcome")
    frame: dict[str, Any] = {"type": "join", "pole": pole, **join}
    if question:
        frame.update(question=question, client_id="question")
    await client.send(frame)
    session = await client.expect("session", state="waiting")
    return client, session


def login(server: RunningServer, user: str = "camille", password: str = "demo-parole") -> str:
    """Sign in through the login form; returns the Cookie header for the console."""
    with httpx.Client(base_url=server.url) as http:
        form = http.get("/console/login")
        answer = http.post(
            "/console/login", data={"login": user, "password": password, "csrf": csrf(form.text)}
        )
        assert answer.status_code == 303, answer.text
        return f"parole_staff={http.cookies['parole_staff']}"


def csrf(html: str) -> str:
    """The CSRF token of the (first) form in ``html``."""
    for tag in re.findall(r"<input[^>]*>", html):
        if 'name="csrf"' in tag:
            value = re.search(r'value="([^"]*)"', tag)
            assert value, tag
            return value[1]
    raise AssertionError(f"no csrf field in {html[:500]}")


async def counsellor(
    server: RunningServer, cookie: str | None = None
) -> tuple[Client, dict[str, Any]]:
    """An open console; returns the client and its ``console`` state frame."""
    client = await Client.open(
        server.ws("/ws/console"), origin=server.url, cookie=cookie or login(server)
    )
    await client.send({"type": "hello", "versions": [1]})
    await client.expect("welcome")
    state = await client.expect("console")
    return client, state


class Browser:
    """A signed-in staff member's browser: cookies kept, no redirect followed."""

    def __init__(self, server: RunningServer, user: str, password: str = "demo-parole") -> None:
        self.http = httpx.Client(base_url=server.url, timeout=20)
        form = self.http.get("/console/login")
        answer = self.http.post(
            "/console/login", data={"login": user, "password": password, "csrf": csrf(form.text)}
        )
        assert answer.status_code == 303, answer.text
        self.token = csrf(self.http.get("/console").text)

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def post(
        self, path: str, data: dict[str, Any] | None = None, token: bool = True
    ) -> httpx.Response:
        fields = {**(data or {}), **({"csrf": self.token} if token else {})}
        return self.http.post(path, data=fields)

    @property
    def cookie(self) -> str:
        return f"parole_staff={self.http.cookies['parole_staff']}"
