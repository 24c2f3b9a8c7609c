"""Starting the demo: load the demo company into a database without projects, then print a fresh
API token for each demo user."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.demo.company import load_demo_company
from api.demo.data import COMPANY_NAME, DEMO_USERS, TOKEN_LABEL, DemoLogin
from models.commitments import Commitment
from models.db import transaction
from models.directory import Vendor
from models.policy import DEMO_LOADER
from models.projects import Project
from models.users import User, issue_token, revoke_tokens


def issue_demo_tokens(session: Session) -> list[DemoLogin]:
    """A fresh token (label "demo") for each demo user the database has; the demo tokens of earlier
    starts are revoked, so only the ones just printed work."""
    users = {
        u.email: u for u in session.scalars(select(User).where(User.email.in_([u.email for u in DEMO_USERS])))
    }
    logins = []
    for demo in DEMO_USERS:
        user = users.get(demo.email)
        if user is None:
            continue
        revoke_tokens(session, DEMO_LOADER, user, label=TOKEN_LABEL)
        logins.append(
            DemoLogin(demo.role, demo.email, issue_token(session, DEMO_LOADER, user, label=TOKEN_LABEL))
        )
    return logins


def load_demo_if_empty(session_factory: sessionmaker[Session], say: Callable[[str], None]) -> list[DemoLogin]:
    """Load the demo company into a database without projects, then print fresh demo tokens.

    Returns the demo logins (role, email, token) it printed.
    """
    with transaction(session_factory) as session:
        if session.scalar(select(Project.id).limit(1)) is None:
            load_demo_company(session)
            session.flush()
            counts = ", ".join(
                f"{session.scalar(select(func.count()).select_from(model))} {label}"
                for model, label in ((Project, "projects"), (Vendor, "vendors"), (Commitment, "commitments"))
            )
            say(f"Loaded the demo company {COMPANY_NAME}: {counts}.")
        else:
            say("The database already has projects: demo data not loaded.")
        logins = issue_demo_tokens(session)
    if logins:
        say('Demo users (in GraphiQL, set the headers to {"Authorization": "Bearer <token>"}):')
        width = max(len(login.role) for login in logins)
        email_width = max(len(login.email) for login in logins)
        say(f"  {'role':<{width}}  {'email':<{email_width}}  token")
        for login in logins:
            say(f"  {login.role:<{width}}  {login.email:<{email_width}}  {login.token}")
    return logins
