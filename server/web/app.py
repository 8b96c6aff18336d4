"""The application factory: one explicit route list, one backend, one lifespan."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from protocol.messages import Close
from server.backends import Backend, open_backend
from server.core.errors import ParoleError

from .assets import Assets
from .compression import Compression
from .i18n import Catalogs
from .live.chat import Chat
from .live.console_socket import ConsoleConnection
from .live.hours import Hours
from .live.keeper import Keeper
from .live.positions import Positions
from .live.visitor_socket import VisitorConnection
from .manage.routes import manage_routes
from .pages import Pages
from .proofs.keys import Keys
from .proofs.routes import ProofPages
from .security import SecurityHeaders, origin_allowed
from .settings import Settings
from .staff.account import AccountPages
from .staff.auth import SESSION_COOKIE, Auth, hash_password
from .staff.duty import DutyPages
from .staff.replies import ReplyPages
from .staff.signin import SignInPages
from .templates import Templates

log = logging.getLogger("parole")


#: The cyclic collector's pauses are what a busy process's sockets wait on most: a
#: full collection walks every live object, over 100 per open socket, and took
#: 0.5-0.7 s with 5,000 waiting visitors in the benchmark, several times a minute
#: under load. What exists at startup (modules, the Cité, holiday tables) is frozen
#: out of its sight; and young collections run every 50,000 allocations instead of
#: 700, so the objects of a busy moment (frames, tasks) die by reference count
#: before being promoted, and full collections become rare. Measured: freezing
#: alone, p99 at 3,000 msg/s 30 -> 9 ms; then these thresholds, in the surge, full
#: collections 12 -> 0 in a minute and position updates p99 757 -> 330 ms.
GC_THRESHOLDS = (50_000, 20, 20)


def create_app(settings: Settings | None = None, backend: Backend | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    backend = backend or open_backend(settings.backend, settings.state_file)
    chat = Chat(backend, settings)
    keeper = Keeper(chat)
    hours = Hours(chat)
    positions = Positions(chat, hours)
    auth = Auth(backend, settings, chat.save_staff)
    catalogs = Catalogs()
    assets = Assets()
    templates = Templates(catalogs, assets)
    pages = Pages(chat, auth, templates, hours)
    keys = Keys(backend, chat.clock)

    async def visitor_socket(websocket: WebSocket) -> None:
        if not origin_allowed(websocket.scope, settings, required=False):
            await websocket.close(Close.POLICY)  # before accept: the handshake gets a 403
            return
        await VisitorConnection(
            websocket, chat, catalogs, keeper, hours=hours, positions=positions
        ).run()

    async def console_socket(websocket: WebSocket) -> None:
        if not origin_allowed(websocket.scope, settings, required=True):
            await websocket.close(Close.POLICY)
            return
        try:
            found = await auth.session(websocket.cookies.get(SESSION_COOKIE))
        except ParoleError:  # shared state unreachable: come back later
            await websocket.accept()
            await websocket.close(Close.AGAIN)
            return
        if found is None:
            await websocket.close(Close.POLICY)
            return
        session, account = found
        cookie = websocket.cookies.get(SESSION_COOKIE)
        await ConsoleConnection(
            websocket,
            chat,
            catalogs,
            keeper,
            account=account,
            session=session,
            touch=lambda: auth.session(cookie),
        ).run()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await backend.start()
        await keys.ring()  # the first start makes the Cité's signing key
        if settings.demo:
            from server.demo import DEMO_LOGIN, DEMO_MANAGER, DEMO_PASSWORD, install_demo

            await install_demo(backend, hash_password(DEMO_PASSWORD))
            log.warning(
                "demo logins: counsellor %r, manager %r, password %r",
                DEMO_LOGIN,
                DEMO_MANAGER,
                DEMO_PASSWORD,
            )
        await keeper.start()
        await hours.start()
        await positions.start()
        gc.collect()
        gc.freeze()  # see GC_THRESHOLDS
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            yield
        finally:
            await positions.stop()
            await hours.stop()
            await keeper.stop()
            await backend.close()

    account = AccountPages(auth, templates)
    routes = [
        Route("/", pages.home),
        Route("/healthz", pages.health),
        Route("/widget.js", pages.loader),
        Route("/demo", pages.demo),
        Route("/chat", pages.chat_page),
        Route("/api/cite", pages.cite),
        Route("/privacy", pages.privacy),
        *ProofPages(chat, keys, templates).routes(),
        *SignInPages(auth, templates).routes(),
        *account.routes(),
        *ReplyPages(account).routes(),
        *DutyPages(account).routes(),
        *manage_routes(chat, auth, templates, keys),
        WebSocketRoute("/ws/visitor", visitor_socket),
        WebSocketRoute("/ws/console", console_socket),
        *assets.routes(),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders), Middleware(Compression)],
        lifespan=lifespan,
    )
    app.state.chat = chat
    app.state.hours = hours
    app.state.backend = backend
    return app
