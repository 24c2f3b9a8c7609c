"""Production mode (no GraphiQL, introspection only for ADMIN on ERP Integrations, security headers), the
request body caps, and the settings that configure serving: the environment, an empty database
URL, and several workers only on PostgreSQL."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.settings import Settings, SettingsError, load_settings
from models.db import DEFAULT_DATABASE_URL, database_url
from models.enums import PermissionLevel, Tool
from models.policy import ALL_ADMIN
from tests.conftest import GraphQLClient
from tests.leaks import checked_client

INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.fixture
def production(engine):
    with checked_client(create_app(engine=engine, settings=Settings(mode="production"))) as client:
        yield client


def test_production_mode_closes_graphiql_and_introspection(production, make_actor):
    page = production.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.json()["errors"][0]["code"] == "NOT_FOUND"
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"

    reader = GraphQLClient(
        production, make_actor("Rita Reader", {t: PermissionLevel.READ_ONLY for t in Tool})
    )
    body = reader.execute(INTROSPECTION)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    type_query = reader.execute('{ __type(name: "Project") { name } }')
    assert type_query["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    assert reader.data("{ viewer { __typename isAccountingApprover } }")["viewer"]["__typename"] == "Viewer"

    admin = GraphQLClient(production, make_actor("Ada Admin", ALL_ADMIN))
    assert admin.data(INTROSPECTION) == {"__schema": {"queryType": {"name": "Query"}}}

    # the policy's need decides: ADMIN on ERP Integrations, whatever the other tools
    erp_admin = GraphQLClient(
        production, make_actor("Erin Erp", {Tool.ERP_INTEGRATIONS: PermissionLevel.ADMIN})
    )
    assert erp_admin.data(INTROSPECTION) == {"__schema": {"queryType": {"name": "Query"}}}
    others = {t: PermissionLevel.ADMIN for t in Tool if t != Tool.ERP_INTEGRATIONS}
    not_erp = GraphQLClient(production, make_actor("Otto Other", others))
    refused = not_erp.execute(INTROSPECTION)
    assert refused["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    assert "ADMIN on ERP Integrations" in refused["errors"][0]["message"]


def test_development_mode_serves_graphiql_and_introspection(client, make_actor):
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert "content-security-policy" not in page.headers
    assert page.headers["x-content-type-options"] == "nosniff"
    reader = GraphQLClient(client, make_actor("Rita Reader", {Tool.REPORTS: PermissionLevel.READ_ONLY}))
    assert reader.data(INTROSPECTION) == {"__schema": {"queryType": {"name": "Query"}}}


def test_bodies_over_their_cap_are_refused_with_413(engine, admin):
    settings = Settings(max_json_body_bytes=64 * 1024, max_upload_body_bytes=256 * 1024)
    with checked_client(create_app(engine=engine, settings=settings)) as client:
        padding = "x" * (80 * 1024)
        declared = client.post(
            "/graphql", json={"query": "{ viewer { __typename } }", "p": padding}, headers=admin.headers
        )
        assert declared.status_code == 413
        assert declared.json()["errors"][0]["code"] == "REQUEST_TOO_LARGE"

        def chunks():
            for _ in range(100):
                yield b" " * 8192

        chunked = client.post(
            "/graphql", content=chunks(), headers={**admin.headers, "Content-Type": "application/json"}
        )
        assert chunked.status_code == 413 and chunked.headers["connection"] == "close"

        operations = json.dumps(
            {"query": "mutation($f: Upload!) { importVendors(input: {file: $f}) { errors { code } } }"}
        )
        upload = client.post(
            "/graphql",
            data={"operations": operations, "map": json.dumps({"0": ["variables.f"]})},
            files={"0": ("vendors.csv", b"x" * (300 * 1024), "text/csv")},
            headers=admin.headers,
        )
        assert upload.status_code == 413
        # within the caps all is well
        ok = client.post("/graphql", json={"query": "{ viewer { __typename } }"}, headers=admin.headers)
        assert ok.json() == {"data": {"viewer": {"__typename": "Viewer"}}}


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("COSTBRIDGE_ENV", "Production")
    monkeypatch.setenv("COSTBRIDGE_QUERY_MAX_COST", "5000")
    monkeypatch.setenv("COSTBRIDGE_MAX_SEARCH_LENGTH", "")
    monkeypatch.setenv("COSTBRIDGE_IMPORT_MAX_FILE_BYTES", "1000")
    settings = load_settings()
    assert settings.production and settings.query_max_cost == 5000 and settings.max_search_length == 200
    assert settings.max_upload_body_bytes == 1000 + 1024 * 1024
    monkeypatch.setenv("COSTBRIDGE_QUERY_MAX_COST", "lots")
    with pytest.raises(SettingsError, match="COSTBRIDGE_QUERY_MAX_COST"):
        load_settings()
    monkeypatch.setenv("COSTBRIDGE_QUERY_MAX_COST", "")
    monkeypatch.setenv("COSTBRIDGE_ENV", "staging")
    with pytest.raises(SettingsError, match="COSTBRIDGE_ENV"):
        load_settings()


def test_an_empty_database_url_means_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("COSTBRIDGE_DATABASE_URL", "")
    assert database_url() == DEFAULT_DATABASE_URL
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["migrate"], env={"COSTBRIDGE_DATABASE_URL": ""})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "costbridge.db").exists()


def test_serve_refuses_several_workers_on_sqlite_and_bad_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["serve", "--workers", "2"], env={"COSTBRIDGE_DATABASE_URL": ""})
    assert result.exit_code == 1
    assert "Error (WORKERS_NEED_POSTGRESQL)" in result.stderr and "PostgreSQL" in result.stderr
    result = runner.invoke(cli, ["serve"], env={"COSTBRIDGE_ENV": "prod"})
    assert result.exit_code == 1 and "Error (INVALID_SETTING): COSTBRIDGE_ENV" in result.stderr
    assert not (tmp_path / "costbridge.db").exists()
