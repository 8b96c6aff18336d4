"""Staff accounts and signing in: argon2id password hashes, sessions held as hashes,
throttled sign-ins, TOTP, the staff's cookies, the sign-in and account pages.

Imports the core, the backends and the web plumbing only: the live chat and the
manager pages build on it, never the other way round.
"""
