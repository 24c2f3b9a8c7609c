"""A request's database session and who is asking, opened inside a worker job.

``request_session`` is where an HTTP request's bearer token becomes a user: it runs on a worker
thread after the body has been read, opens the session, signs the token in (through the token
cache, ``tokens``), and always rolls back and closes the session at the end (writes commit
explicitly, in ``run_in_transaction``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from api.serving.tokens import TokenCache
from api.serving.workers import DatabaseWorkers
from api.settings import Settings
from models.users import SignedInUser

if TYPE_CHECKING:
    from api.subscriptions.hub import EventHub


class Unauthenticated(Exception):
    pass


AUTH_MESSAGE = "Authentication required: a valid 'Authorization: Bearer' token"


@dataclass(frozen=True)
class Services:
    """What a route needs to serve a request: sessions, the worker pool, the settings, the token
    cache and the hub of change notices."""

    factory: sessionmaker[Session]
    workers: DatabaseWorkers
    settings: Settings
    tokens: TokenCache
    hub: EventHub


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


@contextmanager
def request_session(services: Services, request: Request) -> Iterator[tuple[Session, SignedInUser]]:
    """The request's session and its authenticated user (``models.users.sign_in``: revoked and
    expired tokens and disabled users sign in no one); raises Unauthenticated without one."""
    session = services.factory()
    try:
        user = services.tokens.sign_in(session, bearer_token(request))
        if user is None:
            raise Unauthenticated()
        yield session, user
    finally:
        session.rollback()
        session.close()
