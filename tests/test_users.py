"""Users and tokens: the users commands (list, set-permission, disable, enable, issue-token,
revoke-token) in the policy's vocabulary, token expiry, and the last use recorded at most once a
minute."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app as cli
from models.base import utcnow
from models.enums import PermissionLevel, Tool
from models.errors import DomainError, ErrorCode
from models.policy import describe_grants, parse_grants
from models.users import LAST_USE_RESOLUTION, ApiToken, authenticate, create_user, issue_token
from tests.actors import SETUP

VIEWER = {"query": "{ viewer { permissions { tool level } canPushToAccounting } }"}


@pytest.fixture
def run(engine):
    runner = CliRunner()
    env = {"COSTBRIDGE_DATABASE_URL": engine.url.render_as_string(hide_password=False)}

    def invoke(*args: str):
        return runner.invoke(cli, list(args), env=env)

    return invoke


def _created(run, email: str, *extra: str) -> str:
    result = run("users", "create", "--name", email.split("@")[0].title(), "--email", email, *extra)
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def _levels(client, token: str) -> dict[str, str] | int:
    response = client.post("/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}"})
    if response.status_code != 200:
        return response.status_code
    viewer = response.json()["data"]["viewer"]
    return {p["tool"]: p["level"] for p in viewer["permissions"]} | {
        "approver": viewer["canPushToAccounting"]
    }


def test_the_cli_and_the_policy_share_one_vocabulary():
    levels = parse_grants(["ALL=read-only", "budget=ADMIN", "Erp Integrations=STANDARD"])
    assert levels[Tool.BUDGET] == PermissionLevel.ADMIN
    assert levels[Tool.ERP_INTEGRATIONS] == PermissionLevel.STANDARD
    assert levels[Tool.REPORTS] == PermissionLevel.READ_ONLY
    assert parse_grants(describe_grants(levels).split()) == levels
    for bad in ("BUDGET", "BUDGETS=ADMIN", "BUDGET=OWNER"):
        with pytest.raises(DomainError) as refused:
            parse_grants([bad])
        assert refused.value.code == ErrorCode.INVALID_VALUE


def test_set_permission_list_disable_and_enable(run, client):
    token = _created(run, "pat@example.com")
    changed = run(
        "users",
        "set-permission",
        "pat@example.com",
        "ALL=NONE",
        "BUDGET=ADMIN",
        "ERP_INTEGRATIONS=STANDARD",
        "--approver",
    )
    assert changed.exit_code == 0, changed.output
    assert (
        changed.stdout.strip()
        == "pat@example.com: CAN_PUSH_TO_ACCOUNTING ERP_INTEGRATIONS=STANDARD BUDGET=ADMIN"
    )
    levels = _levels(client, token)
    assert levels["BUDGET"] == "ADMIN" and levels["COMMITMENTS"] == "NONE" and levels["approver"] is True

    listed = run("users", "list", "--tokens")
    assert listed.exit_code == 0, listed.output
    line = next(li for li in listed.stdout.splitlines() if "pat@example.com" in li)
    assert line.endswith("[active CAN_PUSH_TO_ACCOUNTING]  ERP_INTEGRATIONS=STANDARD BUDGET=ADMIN")
    assert "(cli): live" in listed.stdout and "last used 20" in listed.stdout

    bad = run("users", "set-permission", "pat@example.com", "BUDGET=OWNER")
    assert bad.exit_code == 1 and "INVALID_VALUE" in bad.stderr
    assert run("users", "set-permission", "nobody@example.com", "BUDGET=ADMIN").exit_code == 1

    disabled = run("users", "disable", "pat@example.com")
    assert disabled.stdout.strip() == "Disabled pat@example.com; 1 token(s) revoked."
    assert _levels(client, token) == 401
    assert run("users", "enable", "pat@example.com").exit_code == 0
    assert _levels(client, token) == 401  # enabling does not revive the revoked token
    issued = run("users", "issue-token", "pat@example.com", "--expires-in-days", "30")
    assert issued.exit_code == 0, issued.output
    assert _levels(client, issued.stdout.strip().splitlines()[-1])["BUDGET"] == "ADMIN"


def test_the_sync_agents_account_has_the_connector_privilege(run, client):
    token = _created(run, "agent@example.com", "--connector")
    viewer = client.post(
        "/graphql",
        json={"query": "{ viewer { isErpConnector isAccountingApprover permissions { tool level } } }"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["data"]["viewer"]
    assert viewer["isErpConnector"] is True and viewer["isAccountingApprover"] is False
    assert {p["tool"]: p["level"] for p in viewer["permissions"]}["ERP_INTEGRATIONS"] == "ADMIN"
    listed = next(li for li in run("users", "list").stdout.splitlines() if "agent@example.com" in li)
    assert "[active ERP_CONNECTOR]" in listed
    withdrawn = run("users", "set-permission", "agent@example.com", "--no-connector")
    assert withdrawn.exit_code == 0 and "ERP_CONNECTOR" not in withdrawn.stdout
    assert run("users", "set-permission", "agent@example.com").exit_code == 1  # nothing to set


def test_revoke_token_by_text_by_id_or_all(run, client, session_factory):
    first = _created(run, "ann@example.com")
    second = (
        run("users", "issue-token", "ann@example.com", "--label", "agent").stdout.strip().splitlines()[-1]
    )
    third = run("users", "issue-token", "ann@example.com").stdout.strip().splitlines()[-1]
    assert run("users", "revoke-token", "--token", first).stdout.strip().startswith("Revoked token ")
    assert _levels(client, first) == 401 and isinstance(_levels(client, second), dict)
    with session_factory() as s:
        agent_id = s.scalar(select(ApiToken.id).where(ApiToken.label == "agent"))
    one = run("users", "revoke-token", "--email", "ann@example.com", "--id", str(agent_id))
    assert one.stdout.strip() == "Revoked 1 token(s) of ann@example.com."
    assert _levels(client, second) == 401 and isinstance(_levels(client, third), dict)
    rest = run("users", "revoke-token", "--email", "ann@example.com")
    assert rest.stdout.strip() == "Revoked 1 token(s) of ann@example.com."
    assert _levels(client, third) == 401
    neither = run("users", "revoke-token")
    assert neither.exit_code == 1 and "REQUIRED" in neither.stderr
    unknown = run("users", "revoke-token", "--token", "cb_nope")
    assert unknown.exit_code == 1 and "NOT_FOUND" in unknown.stderr


def test_an_expired_token_is_refused(session_factory, client):
    with session_factory() as s:
        user = create_user(
            s, SETUP, name="Eve", email="eve@example.com", levels={Tool.BUDGET: PermissionLevel.ADMIN}
        )
        soon = issue_token(s, SETUP, user, expires_at=utcnow() + dt.timedelta(hours=1))
        later = utcnow() + dt.timedelta(hours=2)
        s.commit()
        assert authenticate(s, soon) is not None
        assert authenticate(s, soon, now=later) is None
        with pytest.raises(DomainError) as past:
            issue_token(s, SETUP, user, expires_at=utcnow() - dt.timedelta(seconds=1))
        assert past.value.code == ErrorCode.INVALID_VALUE
    assert (
        client.post("/graphql", json=VIEWER, headers={"Authorization": f"Bearer {soon}"}).status_code == 200
    )


def test_last_use_is_recorded_at_most_once_a_minute(session_factory):
    with session_factory() as s:
        user = create_user(s, SETUP, name="Lu", email="lu@example.com")
        token = issue_token(s, SETUP, user)
        s.commit()
    start = utcnow().replace(microsecond=0)

    def last_used() -> dt.datetime | None:
        with session_factory() as s:
            return s.scalar(select(ApiToken.last_used_at))

    with session_factory() as s:
        assert authenticate(s, token, now=start) is not None
    assert last_used() == start
    with session_factory() as s:  # within the minute: nothing written
        authenticate(s, token, now=start + dt.timedelta(seconds=59))
    assert last_used() == start
    with session_factory() as s:
        authenticate(s, token, now=start + LAST_USE_RESOLUTION)
    assert last_used() == start + LAST_USE_RESOLUTION
