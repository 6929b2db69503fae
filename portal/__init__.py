"""Settle's domain and services. Nothing here imports the UI (nicegui, pages, components)."""
