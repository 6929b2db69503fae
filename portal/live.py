"""Live updates between processes (issue 14, item 5)."""
from __future__ import annotations

from typing import Any


def publish(session: Any, topic: str) -> None:  # noqa: ANN401
    """placeholder: msg-live builds this"""
