"""Users, their hashed API tokens, and their permission level per tool.

What a level allows is decided by ``models.policy``; a ``User`` is one kind of actor it judges.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models import policy
from models.base import Base, Timestamped, UTCDateTime, utcnow
from models.enums import PermissionLevel, Tool
from models.errors import DomainError, ErrorCode

TOKEN_PREFIX = "cb_"


class User(Timestamped, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    # the seeds' "Can Push to Accounting" granular privilege
    can_push_to_accounting: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    permissions: Mapped[list[UserPermission]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def level(self, tool: Tool) -> PermissionLevel:
        for perm in self.permissions:
            if perm.tool == tool:
                return PermissionLevel(perm.level)
        return PermissionLevel.NONE

    def set_level(self, tool: Tool, level: PermissionLevel) -> None:
        for perm in self.permissions:
            if perm.tool == tool:
                perm.level = int(level)
                return
        self.permissions.append(UserPermission(tool=tool, level=int(level)))

    @property
    def is_accounting_approver(self) -> bool:
        """Standard or Admin on ERP Integrations AND the 'can push to accounting' privilege."""
        return policy.is_accounting_approver(self)

    @property
    def user_id(self) -> int | None:
        return self.id

    @property
    def is_active(self) -> bool:
        return self.active


class UserPermission(Base):
    __tablename__ = "user_permissions"
    __table_args__ = (UniqueConstraint("user_id", "tool"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    tool: Mapped[Tool] = mapped_column(Enum(Tool, native_enum=False, length=32), nullable=False)
    level: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    user: Mapped[User] = relationship(back_populates="permissions")


class ApiToken(Base):
    """A bearer token. Only its SHA-256 is stored; the plain token is shown once at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, label: str | None = None) -> str:
    """Create a token for ``user`` and return it in plain text (the only time it exists)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=hash_token(token), label=label))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.execute(
        select(User)
        .join(ApiToken)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None), User.active.is_(True))
    ).scalar_one_or_none()
    return row


def create_user(
    session: Session,
    actor: policy.Actor,
    *,
    name: str,
    email: str,
    levels: dict[Tool, PermissionLevel] | None = None,
    can_push_to_accounting: bool = False,
) -> User:
    """A new active user with ``levels`` per tool (NONE for the others); MANAGE_USERS."""
    policy.require(actor, policy.MANAGE_USERS, "Creating a user")
    email = email.strip().lower()
    if not email or "@" not in email:
        raise DomainError(ErrorCode.INVALID_VALUE, f"'{email}' is not an email address", "email")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise DomainError(ErrorCode.DUPLICATE, f"A user with email {email} already exists", "email")
    user = User(name=name.strip(), email=email, can_push_to_accounting=can_push_to_accounting)
    for tool, level in (levels or {}).items():
        user.set_level(tool, level)
    session.add(user)
    session.flush()
    return user
