"""A request's database session and who is asking, opened inside a worker job.

``request_session`` is the only place the API turns a bearer token into a user: it runs on a
worker thread after the body has been read, opens the session, authenticates, and always rolls
back and closes the session at the end (writes commit explicitly, in ``run_in_transaction``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from api.serving.workers import DatabaseWorkers
from api.settings import Settings
from models import users
from models.users import User


class Unauthenticated(Exception):
    pass


AUTH_MESSAGE = "Authentication required: a valid 'Authorization: Bearer' token"


@dataclass(frozen=True)
class Services:
    """What a route needs to serve a request: sessions, the worker pool and the settings."""

    factory: sessionmaker[Session]
    workers: DatabaseWorkers
    settings: Settings


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


# far longer than any token ``costbridge users issue-token`` makes: not worth hashing
MAX_TOKEN_LENGTH = 512


def token_user(session: Session, token: str | None) -> User | None:
    """The active user a bearer token signs in (``models.users.authenticate``: revoked and expired
    tokens and disabled users sign in no one), or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return users.authenticate(session, token)


@contextmanager
def request_session(services: Services, request: Request) -> Iterator[tuple[Session, User]]:
    """The request's session and its authenticated user; raises Unauthenticated without one."""
    session = services.factory()
    try:
        user = token_user(session, bearer_token(request))
        if user is None:
            raise Unauthenticated()
        yield session, user
    finally:
        session.rollback()
        session.close()
