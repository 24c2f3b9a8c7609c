"""Caps on string inputs that reach the database as patterns: a search string longer than the
limit is refused with VALUE_TOO_LONG instead of becoming a LIKE pattern the database has to chew
on (PostgreSQL for seconds, SQLite refusing it as too complex)."""

from __future__ import annotations

from graphql import GraphQLError

from api.settings import current_settings
from models.errors import ErrorCode


def check_search(search: str, field: str = "search") -> str:
    limit = current_settings().max_search_length
    if len(search) > limit:
        raise GraphQLError(
            f"{field} has {len(search):,} characters; the limit is {limit:,}",
            extensions={"code": ErrorCode.VALUE_TOO_LONG.value, "field": field, "limit": limit},
        )
    return search
