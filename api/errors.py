"""UserError (the ``errors`` of every mutation payload) and the helper that runs a domain action
inside the request's transaction, turning DomainErrors into UserErrors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import strawberry
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.errors import DomainError, ErrorCode

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

    A unique-constraint race that slipped past the domain checks becomes CONCURRENT_UPDATE rather
    than a server error: the caller can simply retry.
    """
    try:
        result = action(session)
        session.commit()
        return result, []
    except DomainError as exc:
        session.rollback()
        return None, [UserError.from_domain(exc)]
    except IntegrityError as exc:
        session.rollback()
        return None, [
            UserError(
                code=ErrorCode.CONCURRENT_UPDATE,
                message=f"The change conflicts with another one made at the same time; retry. ({exc.orig})",
            )
        ]
