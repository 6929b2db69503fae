"""Pages watch live topics (placeholder: msg-live builds this)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


def watch(topics: list[str], on_change: Callable[[], Any]) -> None:
    """placeholder: msg-live builds this"""
