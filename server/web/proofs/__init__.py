"""Proofs of visit (R10): the keys that sign them, the visitor's request for one, and
the public /verify page. Imports ``live`` (to find the visitor's conversation) and the
plumbing below it; ``manage`` imports it to rotate the keys."""
