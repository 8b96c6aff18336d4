"""Parole's wire protocol: message types, their JSON Schema and shared fixtures."""
