"""The ``parole`` command."""

from __future__ import annotations

import argparse
import asyncio
import sys

from protocol.messages import MAX_FRAME_BYTES
from server.core.errors import ParoleError


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
    serve.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    return serve_command(args)


async def check_backend(url: str) -> None:
    """Fail early, with one clear line, when the shared state cannot be reached."""
    from server.backends import open_backend

    backend = open_backend(url)
    await backend.start()
    await backend.close()


def serve_command(args: argparse.Namespace) -> int:
    import uvicorn

    from server.web.app import create_app
    from server.web.logs import configure
    from server.web.settings import Settings

    settings = Settings.from_env(
        backend=args.backend,
        demo=args.demo or None,
        origins=tuple(args.origin) if args.origin else None,
        embed_origins=tuple(args.embed_origin) if args.embed_origin else None,
        resume_grace=args.resume_grace,
        end_grace=args.end_grace,
    )
    try:
        asyncio.run(check_backend(settings.backend))
        app = create_app(settings)
    except (ValueError, ParoleError) as exc:
        print(f"parole: {exc}", file=sys.stderr)
        return 2
    if settings.demo:
        print(f"Parole demo on http://{args.host}:{args.port}/demo", flush=True)
        print(f"Counsellor console: http://{args.host}:{args.port}/console", flush=True)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        ws_max_size=MAX_FRAME_BYTES,
        log_config=configure(args.log_level),
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
