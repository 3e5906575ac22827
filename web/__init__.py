"""Potbank's web layer: the Flask app factory, blueprints, templates, JSON API and the CLI."""
