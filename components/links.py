"""Leaving a page for a URL the services gave (a checkout, a return page) without leaving this origin."""
from __future__ import annotations

from nicegui import ui

from portal.config import get_settings


def local(url: str) -> str:
    """Our own absolute URLs (checkout, return pages) as paths, so navigation stays on this origin."""
    base = get_settings().public_base_url
    return url[len(base):] or '/' if url.startswith(base + '/') else url


def go(url: str) -> None:
    ui.navigate.to(local(url))
