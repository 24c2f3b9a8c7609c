"""Users, their hashed API tokens, and their permission level per tool.

What a level allows is decided by ``models.policy``; a ``User`` is one kind of actor it judges.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from models import events, policy
from models.base import Base, Timestamped, UTCDateTime, utcnow
from models.db import commit_if_not_busy
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
    # the ERP connector privilege: the account a sync agent signs in with (acknowledge, fail)
    acts_as_connector: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
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
    # no expiry when None
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # when the token last signed a request in, to LAST_USE_RESOLUTION (not written on every request)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")

    def usable(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


# A token's last use is recorded to the minute: a busy client does not write on every request.
LAST_USE_RESOLUTION = dt.timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, eq=False)
class SignedInUser:
    """A user as a token signed them in: an actor that belongs to no session, so a request path may
    keep it for a few seconds (``api.serving.tokens``) and share it between threads."""

    id: int
    name: str
    email: str
    can_push_to_accounting: bool
    acts_as_connector: bool
    active: bool
    levels: Mapping[Tool, PermissionLevel]
    # when the token that signed the user in stops working (None: never)
    token_expires_at: dt.datetime | None = None
    # the token's last use was due to be recorded and the database was too busy: the next request
    # should record it (so this sign-in is not one to remember)
    last_use_pending: bool = False

    @classmethod
    def of(
        cls, user: User, token_expires_at: dt.datetime | None = None, last_use_pending: bool = False
    ) -> SignedInUser:
        return cls(
            id=user.id,
            name=user.name,
            email=user.email,
            can_push_to_accounting=user.can_push_to_accounting,
            acts_as_connector=user.acts_as_connector,
            active=user.active,
            levels=MappingProxyType({p.tool: PermissionLevel(p.level) for p in user.permissions}),
            token_expires_at=token_expires_at,
            last_use_pending=last_use_pending,
        )

    @property
    def user_id(self) -> int | None:
        return self.id

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_accounting_approver(self) -> bool:
        return policy.is_accounting_approver(self)

    def level(self, tool: Tool) -> PermissionLevel:
        return self.levels.get(tool, PermissionLevel.NONE)


def sign_in(session: Session, token: str, now: dt.datetime | None = None) -> SignedInUser | None:
    """``authenticate``, as a ``SignedInUser`` that remembers when its token expires."""
    found = _authenticate(session, token, now)
    return None if found is None else SignedInUser.of(*found)


def authenticate(session: Session, token: str, now: dt.datetime | None = None) -> User | None:
    """The active user a bearer token belongs to, or None (unknown, revoked or expired token, or
    a disabled user). Records the token's last use at most once per LAST_USE_RESOLUTION, and then
    commits that stamp on ``session`` (called before the request does any work of its own); a
    database busy with another writer skips the stamp rather than delay or fail the sign-in."""
    found = _authenticate(session, token, now)
    return None if found is None else found[0]


def _authenticate(
    session: Session, token: str, now: dt.datetime | None = None
) -> tuple[User, dt.datetime | None, bool] | None:
    """(user, the token's expiry, whether its last-use stamp was due and skipped), or None."""
    if not token:
        return None
    found = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(token), User.active.is_(True))
    ).first()
    if found is None:
        return None
    api_token, user = found
    now = now or utcnow()
    if not api_token.usable(now):
        return None
    pending = False
    if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USE_RESOLUTION:
        stamp = (
            update(ApiToken)
            .where(
                ApiToken.id == api_token.id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USE_RESOLUTION),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        # the stamp waits for no other writer: while the database is busy (a long import on
        # SQLite) it is skipped, and the next request a minute on records it
        pending = not commit_if_not_busy(session, lambda s: s.execute(stamp))
    return user, api_token.expires_at, pending


def issue_token(
    session: Session,
    actor: policy.Actor,
    user: User,
    label: str | None = None,
    *,
    expires_at: dt.datetime | None = None,
) -> str:
    """Create a token for ``user`` and return it in plain text (the only time it exists); it
    stops working at ``expires_at`` when one is given. MANAGE_USERS."""
    policy.require(actor, policy.MANAGE_USERS, "Issuing an API token")
    if expires_at is not None and expires_at <= utcnow():
        raise DomainError(ErrorCode.INVALID_VALUE, "The expiry must be in the future", "expiresAt")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=hash_token(token), label=label, expires_at=expires_at))
    session.flush()
    return token


def revoke_tokens(
    session: Session,
    actor: policy.Actor,
    user: User,
    *,
    token_id: int | None = None,
    label: str | None = None,
) -> list[ApiToken]:
    """Revoke the user's live tokens (one by id, those with ``label``, or all); returns them.
    MANAGE_USERS."""
    policy.require(actor, policy.MANAGE_USERS, "Revoking API tokens")
    stmt = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if token_id is not None:
        stmt = stmt.where(ApiToken.id == token_id)
    if label is not None:
        stmt = stmt.where(ApiToken.label == label)
    tokens = list(session.scalars(stmt.order_by(ApiToken.id)))
    if token_id is not None and not tokens:
        raise DomainError(ErrorCode.NOT_FOUND, f"{user.email} has no live token {token_id}", "tokenId")
    now = utcnow()
    for api_token in tokens:
        api_token.revoked_at = now
    events.user_changed(session, user.id)
    session.flush()
    return tokens


def revoke_token(session: Session, actor: policy.Actor, token: str) -> ApiToken:
    """Revoke the token given in plain text. MANAGE_USERS."""
    policy.require(actor, policy.MANAGE_USERS, "Revoking API tokens")
    api_token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip())))
    if api_token is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such API token", "token")
    if api_token.revoked_at is None:
        api_token.revoked_at = utcnow()
        events.user_changed(session, api_token.user_id)
        session.flush()
    return api_token


def find_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No user with email {email.strip().lower()}", "email")
    return user


def list_users(session: Session, actor: policy.Actor) -> list[User]:
    """Every user, by email, with their permissions and tokens. MANAGE_USERS."""
    policy.require(actor, policy.MANAGE_USERS, "Listing users")
    return list(session.scalars(select(User).options(selectinload(User.tokens)).order_by(User.email)))


def set_permissions(
    session: Session,
    actor: policy.Actor,
    user: User,
    levels: Mapping[Tool, PermissionLevel],
    *,
    can_push_to_accounting: bool | None = None,
    acts_as_connector: bool | None = None,
) -> User:
    """Set the user's level on each tool of ``levels`` (others unchanged), and the 'can push to
    accounting' and ERP connector privileges when given. MANAGE_USERS."""
    policy.require(actor, policy.MANAGE_USERS, "Changing permissions")
    for tool, level in levels.items():
        user.set_level(tool, PermissionLevel(level))
    if can_push_to_accounting is not None:
        user.can_push_to_accounting = can_push_to_accounting
    if acts_as_connector is not None:
        user.acts_as_connector = acts_as_connector
    events.user_changed(session, user.id)
    session.flush()
    return user


def set_active(session: Session, actor: policy.Actor, user: User, active: bool) -> list[ApiToken]:
    """Enable or disable a user. Disabling revokes every live token (re-enabling does not revive
    them: issue a new one); returns the tokens revoked. MANAGE_USERS."""
    policy.require(actor, policy.MANAGE_USERS, "Disabling a user" if not active else "Enabling a user")
    user.active = active
    revoked = [] if active else revoke_tokens(session, actor, user)
    events.user_changed(session, user.id)
    session.flush()
    return revoked


def create_user(
    session: Session,
    actor: policy.Actor,
    *,
    name: str,
    email: str,
    levels: dict[Tool, PermissionLevel] | None = None,
    can_push_to_accounting: bool = False,
    acts_as_connector: bool = False,
) -> User:
    """A new active user with ``levels`` per tool (NONE for the others); MANAGE_USERS."""
    policy.require(actor, policy.MANAGE_USERS, "Creating a user")
    email = email.strip().lower()
    if not email or "@" not in email:
        raise DomainError(ErrorCode.INVALID_VALUE, f"'{email}' is not an email address", "email")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise DomainError(ErrorCode.DUPLICATE, f"A user with email {email} already exists", "email")
    user = User(
        name=name.strip(),
        email=email,
        can_push_to_accounting=can_push_to_accounting,
        acts_as_connector=acts_as_connector,
    )
    for tool, level in (levels or {}).items():
        user.set_level(tool, level)
    session.add(user)
    session.flush()
    return user
