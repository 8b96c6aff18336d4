"""The web adapter: what turns the sans-I/O core and a backend into a Starlette app.

Folders by concern, each importing only from those listed below it:

- ``app.py`` -- the factory: builds every part and lists every route. Nothing imports it.
- ``pages.py`` -- the public routes: widget loader, chat page, demo host page, status,
  the privacy page.
- ``manage/`` -- the manager pages under /manage (Cité, poles, sites, staff, keys).
- ``proofs/`` -- proofs of visit: the signing keys, the visitor's request, /verify.
- ``live/`` -- the live chat: websockets, connections, queues and positions, leases,
  opening hours as they pass; shared state goes through :mod:`server.backends`.
- ``staff/`` -- staff accounts and sign-in: password hashes, sessions, throttling,
  TOTP, cookies, the sign-in and account pages.
- top-level plumbing -- ``settings``, ``paths``, ``i18n``, ``templates``, ``security``,
  ``logs``: imported by all of the above, importing none of them.
"""
