"""Parole's server: a sans-I/O core, pluggable backends and the web adapter."""
