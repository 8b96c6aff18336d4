"""The domain, without I/O: plain values in, plain values and typed errors out.

Nothing here imports asyncio, starlette, redis or websockets (a test enforces it);
backends store these values and the web layer drives them.
"""
