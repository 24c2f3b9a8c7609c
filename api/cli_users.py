"""``costbridge users ...``: create, list, set-permission, disable, enable, issue-token and
revoke-token, run as the command-line system actor.

Permissions are written in the policy's own vocabulary: ``TOOL=LEVEL`` with a tool of
``models.enums.Tool`` (ERP_INTEGRATIONS, PROJECT_ADMIN, BUDGET, COMMITMENTS, DIRECTORY, INVOICES,
REPORTS, or ALL) and a level NONE, READ_ONLY, STANDARD or ADMIN; the accounting privilege is
CAN_PUSH_TO_ACCOUNTING (``--approver`` / ``--no-approver``), the privilege of the account a sync
agent signs in with ERP_CONNECTOR (``--connector`` / ``--no-connector``). ``users list`` prints them
the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer
from sqlalchemy.orm import Session

from models import policy
from models.base import utcnow
from models.db import make_engine, make_sessionmaker, migrate, transaction
from models.enums import PermissionLevel, Tool
from models.errors import DomainError
from models.policy import COMMAND_LINE
from models.users import (
    ApiToken,
    User,
    create_user,
    find_user,
    issue_token,
    list_users,
    revoke_token,
    revoke_tokens,
    set_active,
    set_permissions,
)

T = TypeVar("T")

users_app = typer.Typer(
    help="Manage users, their permissions and their API tokens (the bearer tokens every GraphQL "
    "request needs). Permissions are TOOL=LEVEL: tools "
    + ", ".join(policy.TOOL_NAMES)
    + " (or ALL); levels "
    + ", ".join(policy.LEVEL_NAMES)
    + f"; the accounting approver privilege is {policy.APPROVER_PRIVILEGE}, the sync agent's "
    + f"{policy.CONNECTOR_PRIVILEGE}.",
    no_args_is_help=True,
)

EXPIRES = typer.Option(
    None, "--expires-in-days", min=1, help="The token stops working after this many days (default: never)."
)


def _fail(code: str, message: str) -> NoReturn:
    typer.echo(f"Error ({code}): {message}", err=True)
    raise typer.Exit(1)


def _run(action: Callable[[Session], T]) -> T:
    """Run ``action`` in one transaction on the configured database; a DomainError exits 1."""
    engine = make_engine()
    migrate(engine)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            return action(session)
    except DomainError as exc:
        _fail(exc.code, exc.message)
    finally:
        engine.dispose()


def _expiry(days: int | None) -> dt.datetime | None:
    return None if days is None else utcnow() + dt.timedelta(days=days)


def describe_levels(user: User) -> str:
    return policy.describe_grants({tool: user.level(tool) for tool in Tool})


def _privileges(user: User) -> str:
    held = (
        (policy.APPROVER_PRIVILEGE, user.can_push_to_accounting),
        (
            policy.CONNECTOR_PRIVILEGE,
            user.acts_as_connector,
        ),
    )
    return "".join(f" {name}" for name, has in held if has)


def _token_line(token: ApiToken, now: dt.datetime) -> str:
    def when(moment: dt.datetime | None) -> str:
        return f"{moment:%Y-%m-%d %H:%M}" if moment else "never"

    state = "revoked" if token.revoked_at else ("expired" if not token.usable(now) else "live")
    return (
        f"    token {token.id} ({token.label or 'no label'}): {state}, created {when(token.created_at)}, "
        f"expires {when(token.expires_at)}, last used {when(token.last_used_at)}"
    )


@users_app.command("create")
def users_create(
    name: str = typer.Option(..., "--name", help="Full name, shown in sync history."),
    email: str = typer.Option(..., "--email", help="Email address (unique; stored lower-case)."),
    admin: bool = typer.Option(
        False, "--admin", help="ADMIN on every tool (otherwise READ_ONLY on every tool)."
    ),
    approver: bool = typer.Option(
        False,
        "--approver",
        help="Accounting approver: at least STANDARD on ERP Integrations plus the 'can push to "
        "accounting' privilege, so the user can accept or reject records sent to the ERP.",
    ),
    connector: bool = typer.Option(
        False,
        "--connector",
        help="The account a sync agent on the ERP server signs in with: ADMIN on ERP Integrations "
        f"plus the {policy.CONNECTOR_PRIVILEGE} privilege, so it can acknowledge or fail exports.",
    ),
    expires_in_days: int = EXPIRES,
) -> None:
    """Create a user and print a new API token.

    The token is printed once: only its hash is stored. Send it as the header
    Authorization: Bearer <token>. Exits with code 1 if the email is taken or invalid.
    """
    levels = dict(policy.ALL_ADMIN) if admin else {tool: PermissionLevel.READ_ONLY for tool in Tool}
    if approver and levels[Tool.ERP_INTEGRATIONS] < PermissionLevel.STANDARD:
        levels[Tool.ERP_INTEGRATIONS] = PermissionLevel.STANDARD
    if connector:
        levels[Tool.ERP_INTEGRATIONS] = PermissionLevel.ADMIN

    def action(session: Session) -> tuple[str, int, str]:
        user = create_user(
            session,
            COMMAND_LINE,
            name=name,
            email=email,
            levels=levels,
            can_push_to_accounting=approver,
            acts_as_connector=connector,
        )
        token = issue_token(session, COMMAND_LINE, user, label="cli", expires_at=_expiry(expires_in_days))
        return user.email, user.id, token

    created, user_id, token = _run(action)
    typer.echo(f"Created user {created} (id {user_id}). API token, shown only this once:")
    typer.echo(token)


@users_app.command("list")
def users_list(
    tokens: bool = typer.Option(False, "--tokens", help="Also list each user's tokens."),
) -> None:
    """Every user: id, email, name, whether active, an approver or a connector, and the permissions
    as TOOL=LEVEL (what set-permission takes)."""

    def action(session: Session) -> list[str]:
        now = utcnow()
        lines = []
        for user in list_users(session, COMMAND_LINE):
            status = "active" if user.active else "disabled"
            privilege = _privileges(user)
            lines.append(
                f"{user.id}  {user.email}  {user.name}  [{status}{privilege}]  {describe_levels(user)}"
            )
            if tokens:
                lines.extend(_token_line(t, now) for t in sorted(user.tokens, key=lambda t: t.id))
        return lines

    for line in _run(action) or ["No users yet: costbridge users create --name N --email E"]:
        typer.echo(line)


@users_app.command("set-permission")
def users_set_permission(
    email: str = typer.Argument(..., help="The user's email."),
    grants: list[str] = typer.Argument(
        None, help="TOOL=LEVEL pairs, e.g. BUDGET=ADMIN COMMITMENTS=NONE, or ALL=READ_ONLY."
    ),
    approver: bool = typer.Option(
        None,
        "--approver/--no-approver",
        help=f"Grant or withdraw the {policy.APPROVER_PRIVILEGE} privilege (accepting and rejecting "
        "exports also needs STANDARD on ERP_INTEGRATIONS).",
    ),
    connector: bool = typer.Option(
        None,
        "--connector/--no-connector",
        help=f"Grant or withdraw the {policy.CONNECTOR_PRIVILEGE} privilege (acknowledging and failing "
        "exports also needs ADMIN on ERP_INTEGRATIONS).",
    ),
) -> None:
    """Set a user's level on tools (the tools not named keep theirs) and the privileges."""
    if not grants and approver is None and connector is None:
        _fail("REQUIRED", "Give TOOL=LEVEL pairs, --approver/--no-approver or --connector/--no-connector")

    def action(session: Session) -> str:
        user = find_user(session, email)
        set_permissions(
            session,
            COMMAND_LINE,
            user,
            policy.parse_grants(grants or []),
            can_push_to_accounting=approver,
            acts_as_connector=connector,
        )
        return f"{user.email}:{_privileges(user)} {describe_levels(user)}"

    typer.echo(_run(action))


@users_app.command("disable")
def users_disable(email: str = typer.Argument(..., help="The user's email.")) -> None:
    """Disable a user: every request with their tokens is refused, and their tokens are revoked."""

    def action(session: Session) -> str:
        user = find_user(session, email)
        revoked = set_active(session, COMMAND_LINE, user, False)
        return f"Disabled {user.email}; {len(revoked)} token(s) revoked."

    typer.echo(_run(action))


@users_app.command("enable")
def users_enable(email: str = typer.Argument(..., help="The user's email.")) -> None:
    """Enable a disabled user again (issue a token with issue-token)."""

    def action(session: Session) -> str:
        user = find_user(session, email)
        set_active(session, COMMAND_LINE, user, True)
        return f"Enabled {user.email}."

    typer.echo(_run(action))


@users_app.command("issue-token")
def users_issue_token(
    email: str = typer.Argument(..., help="The user's email."),
    label: str = typer.Option("cli", "--label", help="A name for the token, shown by list --tokens."),
    expires_in_days: int = EXPIRES,
) -> None:
    """Print a new API token for a user, once."""

    def action(session: Session) -> str:
        user = find_user(session, email)
        return issue_token(session, COMMAND_LINE, user, label=label, expires_at=_expiry(expires_in_days))

    token = _run(action)
    typer.echo(f"API token for {email.strip().lower()}, shown only this once:")
    typer.echo(token)


@users_app.command("revoke-token")
def users_revoke_token(
    email: str = typer.Option(None, "--email", help="Revoke this user's tokens (all, or --id)."),
    token_id: int = typer.Option(None, "--id", help="With --email: only this token (see list --tokens)."),
    token: str = typer.Option(None, "--token", help="Revoke this token, given in full."),
) -> None:
    """Revoke API tokens: one by its text (--token), one of a user's (--email and --id), or all of
    a user's (--email). A revoked token is refused at once."""
    if (email is None) == (token is None):
        _fail("REQUIRED", "Give either --email (with --id for one token) or --token")

    def action(session: Session) -> str:
        if token is not None:
            revoked = revoke_token(session, COMMAND_LINE, token)
            return f"Revoked token {revoked.id}."
        user = find_user(session, email)
        revoked_tokens = revoke_tokens(session, COMMAND_LINE, user, token_id=token_id)
        return f"Revoked {len(revoked_tokens)} token(s) of {user.email}."

    typer.echo(_run(action))


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
