"""SQL expressions over timestamps that SQLite and PostgreSQL spell differently, so a figure built from them is
computed by the database (one aggregate query) rather than by reading every row into Python."""
from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class seconds_between(FunctionElement):  # noqa: N801 (used like func.*)
    """Whole seconds from `earlier` to `later` (two timestamp columns; NULL when either is NULL), rounded to the
    nearest second: `seconds_between(later, earlier)`."""
    type = BigInteger()
    inherit_cache = True


@compiles(seconds_between, 'sqlite')
def _sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f'CAST(ROUND((julianday({later}) - julianday({earlier})) * 86400) AS INTEGER)'


@compiles(seconds_between, 'postgresql')
def _postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f'CAST(ROUND(EXTRACT(EPOCH FROM ({later}) - ({earlier}))) AS BIGINT)'
