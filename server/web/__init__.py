"""The web adapter: Starlette routes, websocket endpoints, staff auth and settings."""
