"""The live chat: visitor and console websockets, what passes between them, and the
background work that keeps queues honest (leases, positions, opening hours).

Imports the core, the backends, the web plumbing (settings, i18n) and, for the
console's signed-in session, :mod:`..staff.auth`; never the pages.
"""
