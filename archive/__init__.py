"""The catalogue: settings, models, sessions, the image store and catalogue operations.

This package is the source of truth and imports nothing from ``ingest``, ``index`` or ``web``.
"""
