"""POST /api/attestation (a visitor asks for their proof of visit), GET /verify and
POST /api/verify (anyone checks one).

The visitor proves who they are with their resume token, in the body (never in a URL,
so never in a log). A proof is given once per conversation, to a visitor a counsellor
took, until the ended conversation is deleted (the end grace).
"""

from __future__ import annotations

import msgspec
import segno
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.core.attestation import TOKEN_MAX, Proof, Verdict, sign, statement, verify
from server.core.errors import ConfigError, IllegalTransition, NotFound, ParoleError

from ..live.chat import Chat, hash_token
from ..security import own_origin
from ..templates import Templates
from .keys import Keys

BODY_MAX = 4096


class Ask(msgspec.Struct, forbid_unknown_fields=True):
    token: str
    name: str | None = None  # the commitment, made by the browser


class Check(msgspec.Struct, forbid_unknown_fields=True):
    attestation: str


class Issued(msgspec.Struct):
    attestation: str
    proof: Proof
    verify: str  # the page's URL; the attestation goes after "#", never to a server
    qr: list[str]  # the QR code of verify#attestation, rows of "0"/"1" (segno's matrix)


class Checked(msgspec.Struct, omit_defaults=True):
    verdict: Verdict
    proof: Proof | None = None


_encoder = msgspec.json.Encoder()


def answer(value: object, status: int = 200) -> Response:
    return Response(
        _encoder.encode(value),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def refused(code: str, status: int) -> Response:
    return answer({"error": code}, status)


class ProofPages:
    def __init__(self, chat: Chat, keys: Keys, templates: Templates) -> None:
        self.chat = chat
        self.keys = keys
        self.templates = templates

    def routes(self) -> list[Route]:
        return [
            Route("/api/attestation", self.issue, methods=["POST"]),
            Route("/api/verify", self.check, methods=["POST"]),
            Route("/verify", self.page),
        ]

    async def _body(self, request: Request, kind: type[msgspec.Struct]) -> object:
        """The JSON body as ``kind``, or a Response saying what is wrong with it."""
        origin = request.headers.get("origin")
        if origin is not None and origin != own_origin(request.scope):
            return refused("forbidden_origin", 403)
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > BODY_MAX:
                return refused("too_large", 413)
        try:
            return msgspec.json.decode(raw, type=kind)
        except msgspec.DecodeError:
            return refused("bad_request", 400)

    async def issue(self, request: Request) -> Response:
        ask = await self._body(request, Ask)
        if isinstance(ask, Response):
            return ask
        assert isinstance(ask, Ask)
        try:
            return await self._issue(request, ask)
        except ConfigError:
            return refused("bad_request", 400)
        except ParoleError as exc:  # shared state unreachable
            return refused(exc.code, 503)

    async def _issue(self, request: Request, ask: Ask) -> Response:
        backend = self.chat.backend
        session = await backend.visitor_by_token(hash_token(ask.token[:200]))
        if session is None:
            return refused("unknown_session", 403)
        found = None
        if session.conversation is not None:
            found = await backend.get_conversation(session.conversation)
        cite = await backend.get_cite()
        if found is None or cite is None:
            return refused("not_served", 409)
        site = cite.site(session.site or None)
        pole = next((p for p in cite.poles if p.id == found.pole), None)
        if site is None or pole is None:
            return refused("not_served", 409)
        ring = await self.keys.ring()
        proof = statement(
            cite=cite.name,
            site=site.name,
            pole=pole.name,
            timezone=site.timezone,
            opened_at=found.opened_at,
            ended_at=found.ended_at or self.chat.clock(),
            key=ring.active.id,
            name=ask.name,
        )  # before the conversation is marked: a bad commitment leaves it unmarked
        try:
            await backend.update_conversation(found.id, lambda c: c.attest())
        except IllegalTransition:
            return refused("already_issued", 409)
        except NotFound:  # deleted a moment ago, its end grace over
            return refused("not_served", 409)
        token = sign(proof, ring.active)
        url = f"{own_origin(request.scope)}/verify"
        qr = segno.make(f"{url}#{token}", error="m")
        rows = ["".join("1" if cell else "0" for cell in row) for row in qr.matrix]
        return answer(Issued(attestation=token, proof=proof, verify=url, qr=rows))

    async def check(self, request: Request) -> Response:
        asked = await self._body(request, Check)
        if isinstance(asked, Response):
            return asked
        assert isinstance(asked, Check)
        if len(asked.attestation) > TOKEN_MAX:
            return answer(Checked(verdict=Verdict.INVALID))
        try:
            ring = await self.chat.backend.get_keyring()
        except ParoleError as exc:
            return refused(exc.code, 503)
        verdict, proof = verify(asked.attestation, ring)
        return answer(Checked(verdict=verdict, proof=proof))

    async def page(self, request: Request) -> Response:
        return self.templates.render(request, "verify.html")
