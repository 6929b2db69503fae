"""The dashboard's filters in a page's query string, and back (shared by the dashboard and its drill-downs)."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from portal.services.dashboard import Filters

MAX_ID = 2**31 - 1  # the largest id an INTEGER column holds (PostgreSQL); a larger one is unreadable


def filters_from(start: str = '', end: str = '', provider: str = '', location: str = '', payer: str = '') -> Filters:
    """Filters from the page's query (anything unreadable is left out)."""
    def day(text: str) -> date | None:
        try:
            return date.fromisoformat(text) if text else None
        except ValueError:
            return None

    def number(text: str) -> int | None:  # an id a database column can hold ('²' is a digit to isdigit())
        return int(text) if text.isascii() and text.isdigit() and int(text) <= MAX_ID else None

    return Filters(start=day(start), end=day(end), provider_id=number(provider), location_id=number(location),
                   payer_id=number(payer))


def query_of(filters: Filters, **more: object) -> str:
    values = {'start': filters.start, 'end': filters.end, 'provider': filters.provider_id,
              'location': filters.location_id, 'payer': filters.payer_id, **more}
    return urlencode({key: value for key, value in values.items() if value is not None and value != ''})
