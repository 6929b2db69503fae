"""Live updates on a page (issue 14, item 5)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


def watch(topics: list[str], on_change: Callable[[], Any]) -> None:
    """placeholder: msg-live builds this"""
