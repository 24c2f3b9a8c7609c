"""The ``costbridge`` command line: users create, export-schema, migrate and the help texts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.cli import app as cli
from models.users import User

ROOT = Path(__file__).resolve().parents[1]
VIEWER = "{ viewer { user { name email } isAccountingApprover permissions { tool level } } }"


@pytest.fixture
def run(engine):
    """Run the CLI against the test database, as a user would with COSTBRIDGE_DATABASE_URL set."""
    runner = CliRunner()
    env = {"COSTBRIDGE_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    return lambda *args: runner.invoke(cli, list(args), env=env)


def _viewer(client, token: str) -> dict:
    response = client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()["data"]["viewer"]


def test_users_create_prints_a_token_that_authenticates(run, client):
    result = run("users", "create", "--name", "Ann Approver", "--email", "Ann@Example.com", "--approver")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("Created user ann@example.com (id ")
    token = lines[-1]
    assert token.startswith("cb_") and " " not in token

    viewer = _viewer(client, token)
    assert viewer["user"] == {"name": "Ann Approver", "email": "ann@example.com"}
    assert viewer["isAccountingApprover"] is True
    levels = {p["tool"]: p["level"] for p in viewer["permissions"]}
    assert levels.pop("ERP_INTEGRATIONS") == "STANDARD"
    assert set(levels.values()) == {"READ_ONLY"}


def test_users_create_admin(run, client):
    result = run("users", "create", "--name", "Ada Admin", "--email", "ada@example.com", "--admin")
    assert result.exit_code == 0, result.output
    viewer = _viewer(client, result.stdout.strip().splitlines()[-1])
    assert {p["level"] for p in viewer["permissions"]} == {"ADMIN"}
    assert viewer["isAccountingApprover"] is False  # admin on every tool, but not the privilege


def test_duplicate_email_fails_clearly_and_writes_nothing(run, session_factory):
    assert run("users", "create", "--name", "Ann", "--email", "ann@example.com").exit_code == 0
    again = run("users", "create", "--name", "Other Ann", "--email", "ANN@example.com ")
    assert again.exit_code == 1
    assert again.stderr.strip() == "Error (DUPLICATE): A user with email ann@example.com already exists"
    assert "cb_" not in again.stdout
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1


def test_invalid_email_is_refused(run, session_factory):
    result = run("users", "create", "--name", "Nobody", "--email", "not-an-email")
    assert result.exit_code == 1
    assert "INVALID_VALUE" in result.stderr and "not-an-email" in result.stderr
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0


def test_missing_required_option_exits_2():
    result = CliRunner().invoke(cli, ["users", "create", "--name", "No Email"])
    assert result.exit_code == 2
    assert "--email" in result.output


def test_migrate_is_idempotent(run):
    for _ in range(2):
        result = run("migrate")
        assert result.exit_code == 0, result.output
        assert "is up to date" in result.stdout


def test_printed_database_url_hides_the_password(monkeypatch):
    from api.cli import _shown_url

    monkeypatch.setenv("COSTBRIDGE_DATABASE_URL", "postgresql://cb:s3cret@db.internal:5432/costbridge")
    shown = _shown_url()
    assert "s3cret" not in shown and "db.internal:5432/costbridge" in shown


def test_export_schema_equals_the_committed_schema(tmp_path):
    runner = CliRunner()
    printed = runner.invoke(cli, ["export-schema"])
    assert printed.exit_code == 0, printed.output
    committed = (ROOT / "schema.graphql").read_text()
    assert printed.stdout == committed

    target = tmp_path / "schema.graphql"
    written = runner.invoke(cli, ["export-schema", "--output", str(target)])
    assert written.exit_code == 0, written.output
    assert target.read_text() == committed


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ["serve", "migrate", "demo", "users", "export-schema", "COSTBRIDGE_DATABASE_URL"]),
        (["serve"], ["--port", "PORT", "--host", "--demo", "/graphql", "Bearer"]),
        (["users", "create"], ["--name", "--email", "--admin", "--approver", "once"]),
        (["demo"], ["Pacific Ridge Builders", "accounting"]),
        (["migrate"], ["Alembic"]),
        (["export-schema"], ["schema.graphql", "--output"]),
    ],
)
def test_help_explains_each_command(args, expected):
    result = CliRunner().invoke(cli, [*args, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for word in expected:
        assert word in result.stdout, (args, word)
