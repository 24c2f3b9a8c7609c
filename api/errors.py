"""UserError (the ``errors`` of every mutation payload) and the helper that runs a domain action
inside the request's transaction, turning DomainErrors into UserErrors, retrying transient database
failures, and never letting database text reach the client."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import strawberry
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.serving.failures import BUSY_MESSAGE, REQUEST_ID
from api.settings import current_settings
from models.db import DatabaseBusy, retry_transient
from models.errors import DomainError, ErrorCode

log = logging.getLogger("costbridge.api")

ErrorCodeType = strawberry.enum(ErrorCode, name="ErrorCode", description="Machine-readable error codes.")

T = TypeVar("T")


@strawberry.type(description="An expected failure: validation, permission on a record, or a blocker.")
class UserError:
    code: ErrorCodeType  # type: ignore[valid-type]
    message: str
    field: str | None = None
    row: int | None = None
    column: str | None = None

    @classmethod
    def from_domain(cls, exc: DomainError) -> UserError:
        return cls(code=exc.code, message=exc.message, field=exc.field, row=exc.row, column=exc.column)


def run_in_transaction(session: Session, action: Callable[[Session], T]) -> tuple[T | None, list[UserError]]:
    """Run ``action``; commit on success; roll back and report on a DomainError.

    SQLite lock contention and PostgreSQL serialization failures or deadlocks roll back and run
    ``action`` again until the retry budget (``COSTBRIDGE_DB_RETRY_SECONDS``) is spent; then the
    answer is DATABASE_BUSY, to retry later. A unique-constraint race that slipped past the domain
    checks becomes CONCURRENT_UPDATE rather than a server error: the caller can simply retry. The
    database's own message goes to the log, never to the client.
    """
    budget = session.info.get("db_retry_seconds", current_settings().db_retry_seconds)
    try:
        return retry_transient(session, action, budget), []
    except DomainError as exc:
        return None, [UserError.from_domain(exc)]
    except DatabaseBusy:
        log.warning("request %s: database still busy after %s s of retries", REQUEST_ID.get(), budget)
        return None, [UserError(code=ErrorCode.DATABASE_BUSY, message=BUSY_MESSAGE)]
    except IntegrityError as exc:
        log.info("request %s: integrity conflict: %s", REQUEST_ID.get(), exc.orig)
        return None, [
            UserError(
                code=ErrorCode.CONCURRENT_UPDATE,
                message="The change conflicts with another one made at the same time; retry.",
            )
        ]
