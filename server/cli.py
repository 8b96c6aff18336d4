"""The ``parole`` command."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
from typing import TYPE_CHECKING

from protocol.messages import MAX_FRAME_BYTES
from server.core.errors import ParoleError

if TYPE_CHECKING:
    from server.web.settings import Settings

#: Where ``parole serve`` and ``create-user`` keep a memory backend's configuration
#: unless told otherwise (relative to the working directory).
DEFAULT_STATE_FILE = "parole-state.json"
#: Connections the kernel holds until the server accepts them. When a process dies,
#: thousands of widgets reconnect to the others within half a second; past the
#: backlog the kernel drops them and each retries a second or more later. The kernel
#: caps it at net.core.somaxconn (4096 on Debian 12; see ops/README.md).
BACKLOG = 16384


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="parole", description="Anonymous advice chat.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve Parole over HTTP and websockets")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--backend", default=None, help="memory:// (default) or redis://...")
    serve.add_argument("--demo", action="store_true", help="install the demo Cité and login")
    serve.add_argument(
        "--origin", action="append", default=None, help="extra origin allowed on websockets"
    )
    serve.add_argument(
        "--embed-origin", action="append", default=None, help="host site allowed to embed"
    )
    serve.add_argument("--resume-grace", type=float, default=None, help="seconds")
    serve.add_argument("--end-grace", type=float, default=None, help="seconds")
    serve.add_argument(
        "--state-file",
        default=None,
        help=f"memory:// only: where the configuration is kept ({DEFAULT_STATE_FILE}; '': nowhere)",
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--log-file", default=None, help="also write log lines there, rotated daily")

    from server.create_user import add_arguments, create_user_command

    create_user = commands.add_parser(
        "create-user", help="create a staff account (the first manager) or reset its password"
    )
    add_arguments(create_user)
    args = parser.parse_args(argv)
    if args.command == "create-user":
        settings = with_state_file(_settings(backend=args.backend), args.state_file)
        return create_user_command(args, settings.backend, settings.state_file)
    return serve_command(args)


def _settings(**overrides: object) -> Settings:
    from server.web.settings import Settings

    return Settings.from_env(os.environ, **overrides)


def with_state_file(settings: Settings, option: str | None) -> Settings:
    """The state file from ``--state-file``, else PAROLE_STATE_FILE, else the default
    for a memory backend. (Settings built in-process keep none: tests write nothing.)"""
    if option is None:
        if "PAROLE_STATE_FILE" in os.environ or not settings.backend.startswith("memory:"):
            return settings
        option = DEFAULT_STATE_FILE
    return dataclasses.replace(settings, state_file=option)


async def check_backend(settings: Settings) -> None:
    """Fail early, with one clear line, when the shared state cannot be reached (or its
    state file is unreadable, or used by another server)."""
    from server.backends import open_backend

    backend = open_backend(settings.backend, settings.state_file)
    await backend.start()
    await backend.close()


def serve_command(args: argparse.Namespace) -> int:
    import uvicorn

    from server.web.app import create_app
    from server.web.logs import configure

    try:
        settings = _settings(
            backend=args.backend,
            demo=args.demo or None,
            origins=tuple(args.origin) if args.origin else None,
            embed_origins=tuple(args.embed_origin) if args.embed_origin else None,
            resume_grace=args.resume_grace,
            end_grace=args.end_grace,
            log_file=args.log_file,
        )
        settings = with_state_file(settings, args.state_file)
        log_config = configure(args.log_level, settings.log_file, settings.log_retention_days)
        asyncio.run(check_backend(settings))
        app = create_app(settings)
    except (ValueError, ParoleError) as exc:
        print(f"parole: {exc}", file=sys.stderr)
        return 2
    if settings.state_file and settings.backend.startswith("memory:"):
        print(f"Configuration kept in {os.path.abspath(settings.state_file)}", flush=True)
    if settings.demo:
        from server.demo import DEMO_LOGIN, DEMO_MANAGER, DEMO_PASSWORD

        base = f"http://{args.host}:{args.port}"
        print(f"Parole demo on {base}/demo", flush=True)
        print(f"Counsellor console: {base}/console ({DEMO_LOGIN} / {DEMO_PASSWORD})", flush=True)
        print(f"Manager pages: {base}/manage ({DEMO_MANAGER} / {DEMO_PASSWORD})", flush=True)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        ws_max_size=MAX_FRAME_BYTES,
        # Frames are short JSON: compressing them saves little and costs about 48 KiB
        # of zlib state per socket, more than everything else a waiting visitor needs.
        ws_per_message_deflate=False,
        backlog=BACKLOG,
        log_config=log_config,
        access_log=False,
        server_header=False,
        # The client address (blocks, sign-in throttling) from X-Forwarded-For, but
        # only when one of these proxies sent it.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or [],
    )
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
