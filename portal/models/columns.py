"""A column type for named states: a plain string column (no database enum type) read back as its StrEnum."""
from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.types import TypeDecorator
from sqlmodel import AutoString


class StateText(TypeDecorator[StrEnum]):
    """Stores a StrEnum's value as text of at most `length` characters and reads it back as the member;
    a value outside the enum is refused when written (or compared), so a misspelt state never reaches
    the database."""
    impl = AutoString
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length=length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else str(self.enum(value))

    def process_result_value(self, value: Any, dialect: Any) -> StrEnum | str | None:
        # an expression over the column carries its type too (coalesce(corrects_kind, '') in the statement
        # run, say): a value that is no member is handed back as the text it is
        return self.enum._value2member_map_.get(value, value) if value is not None else None

    @property
    def python_type(self) -> type[StrEnum]:
        return self.enum
