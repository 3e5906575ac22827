"""Blueprints for the public pages."""
