"""Live updates: services publish topics, pages watch them (placeholder: msg-live builds this)."""
from __future__ import annotations

from sqlmodel import Session


def publish(session: Session, topic: str) -> None:
    """placeholder: msg-live builds this"""
