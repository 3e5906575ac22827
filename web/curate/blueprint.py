"""The curating blueprint; its views live in the modules that import it."""

from __future__ import annotations

from flask import Blueprint

curate = Blueprint("curate", __name__, url_prefix="/curate")
