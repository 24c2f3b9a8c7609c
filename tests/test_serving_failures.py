"""Coded failures only: an unexpected exception is INTERNAL_ERROR with the request id (the detail is
in the log under that id, never in the answer); a busy database is retried and then DATABASE_BUSY;
a unique-key race is CONCURRENT_UPDATE without the database's text; a failed import leaves an
ImportRun saying why. (tests/leaks.py checks every response of the suite for internals.)"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from api.app import create_app
from api.settings import Settings
from models import projects as m
from models.db import DatabaseBusy, is_transient, make_engine, retry_transient
from models.imports import ImportRun
from models.projects import Project
from models.users import ApiToken
from tests import files_job_costs as fj
from tests.actors import SETUP
from tests.conftest import GraphQLClient
from tests.factories_imports import upload
from tests.leaks import checked_client

CREATE = """mutation($input: CreateProjectInput!) {
  createProject(input: $input) { project { number } errors { code message field } } }"""


def test_an_unexpected_exception_is_internal_error_with_the_request_id(gql, session, monkeypatch, caplog):
    project = m.create_project(session, SETUP, number="24-001", name="Harbor Clinic")
    session.commit()

    def broken(*_args, **_kwargs):
        raise RuntimeError('SELECT secret FROM vault; sqlite3 said "no"')

    monkeypatch.setattr("models.reports.job_cost_report", broken)
    query = f'{{ jobCostReport(projectId: "{m_id(project)}") {{ projectNumber }} }}'
    response = gql.post(query)
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    request_id = response.headers["x-request-id"]
    assert error["extensions"] == {"code": "INTERNAL_ERROR", "requestId": request_id}
    assert request_id in error["message"] and "SELECT" not in error["message"]
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and "SELECT secret FROM vault" in logged[0].exc_text

    given = gql.http.post(
        "/graphql",
        json={"query": query},
        headers={**gql.actor.headers, "X-Request-Id": "proxy-1234"},
    )
    assert given.headers["x-request-id"] == "proxy-1234"
    assert given.json()["errors"][0]["extensions"]["requestId"] == "proxy-1234"


def m_id(project) -> str:
    from api.relay import to_global_id

    return to_global_id("Project", project.id)


def test_an_unexpected_exception_in_a_download_is_a_coded_500(client, admin, session, monkeypatch):
    project = m.create_project(session, SETUP, number="24-001", name="Harbor Clinic")
    session.commit()

    def broken(*_args, **_kwargs):
        raise ValueError("psycopg.errors.UndefinedTable: relation does not exist")

    monkeypatch.setattr("exporters.budget.budget_export_lines", broken)
    response = client.get(f"/exports/projects/{m_id(project)}/budget.csv", headers=admin.headers)
    assert response.status_code == 500
    (error,) = response.json()["errors"]
    assert error["code"] == "INTERNAL_ERROR"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]


def test_every_response_names_its_request_and_routes_answer_coded(client, admin):
    health = client.get("/healthz")
    assert health.text == "ok" and len(health.headers["x-request-id"]) == 16
    assert health.headers["x-content-type-options"] == "nosniff"
    assert health.headers["x-frame-options"] == "DENY"
    missing = client.get("/nowhere", headers=admin.headers)
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "NOT_FOUND"
    unauthenticated = client.post("/graphql", json={"query": "{ viewer { isAccountingApprover } }"})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["errors"][0]["code"] == "UNAUTHENTICATED"
    assert unauthenticated.headers["www-authenticate"] == "Bearer"
    wrong = client.get("/exports/vendors.csv", headers={"Authorization": "Bearer cb_wrong"})
    assert wrong.status_code == 401
    bad_json = client.post(
        "/graphql", content=b"{not json", headers={**admin.headers, "Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400 and bad_json.json()["errors"][0]["code"] == "BAD_REQUEST"
    syntax = client.post("/graphql", json={"query": "{ projects { "}, headers=admin.headers)
    assert syntax.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    unknown = client.post("/graphql", json={"query": "{ projectz { id } }"}, headers=admin.headers)
    assert unknown.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    variable = client.post(
        "/graphql",
        json={"query": "query($f: Int) { projects(first: $f) { totalCount } }", "variables": {"f": "x"}},
        headers=admin.headers,
    )
    assert variable.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_unique_key_race_is_concurrent_update_without_database_text(gql, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="costbridge.api")
    gql.data(CREATE, {"input": {"number": "24-001", "name": "First"}})
    # the domain check is what normally catches the duplicate; without it the database does
    monkeypatch.setattr("models.projects._check_number_free", lambda *_args, **_kw: None)
    payload = gql.data(CREATE, {"input": {"number": "24-001", "name": "Second"}})["createProject"]
    assert payload["project"] is None
    (error,) = payload["errors"]
    assert error["code"] == "CONCURRENT_UPDATE"
    assert error["message"] == "The change conflicts with another one made at the same time; retry."
    assert any("integrity conflict" in r.getMessage() for r in caplog.records)


def test_an_import_stopped_by_an_unexpected_error_leaves_a_failed_run(client, admin, session, monkeypatch):
    def broken(*_args, **_kwargs):
        raise KeyError("column 'amount' of relation \"direct_costs\"")

    monkeypatch.setattr("api.mutations.imports.import_vendors", broken)
    out = upload(client, admin, "vendors", "vendors.csv", fj.vendors_csv())
    (error,) = out["errors"]
    assert error["code"] == "INTERNAL_ERROR" and "request id" in error["message"]
    run = out["importRun"]
    assert run["status"] == "FAILED" and run["fileName"] == "vendors.csv"
    assert run["errors"] == [
        {"row": None, "column": None, "code": "INTERNAL_ERROR", "message": error["message"]}
    ]
    stored = session.scalars(select(ImportRun)).all()
    assert [(r.status, r.errors[0]["code"]) for r in stored] == [("FAILED", "INTERNAL_ERROR")]


class _ReleaseOnGiveUp(logging.Handler):
    """Rolls the lock holder back shortly after the server logs that a request gave up waiting."""

    def __init__(self, holder: sqlite3.Connection):
        super().__init__(logging.WARNING)
        self.holder = holder
        self.fired = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "still busy" in record.getMessage() and not self.fired.is_set():
            self.fired.set()
            threading.Timer(0.2, self.holder.execute, ["ROLLBACK"]).start()


@pytest.mark.only_backend("sqlite")
def test_a_second_writer_on_sqlite_gets_database_busy_or_succeeds(engine, admin, session_factory):
    """A writer holds SQLite's lock: a mutation retries for its budget, then answers DATABASE_BUSY;
    an import that gave up that way is still recorded once the lock goes; a lock released within
    the budget lets the mutation through."""
    path = engine.url.database
    quick = make_engine(f"sqlite:///{path}", sqlite_busy_timeout_ms=50)
    app = create_app(engine=quick, settings=Settings(db_retry_seconds=1))
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        with checked_client(app) as client:
            gql = GraphQLClient(client, admin)
            holder.execute("BEGIN IMMEDIATE")
            busy = gql.data(CREATE, {"input": {"number": "24-001", "name": "Busy"}})["createProject"]
            assert busy["project"] is None
            assert busy["errors"] == [
                {
                    "code": "DATABASE_BUSY",
                    "message": "The database is busy with other changes; retry the request.",
                    "field": None,
                }
            ]

            # the import gives up after its budget; the lock goes just after, in time to record the
            # failed run (released when the give-up is logged: however slow the machine, never before)
            release = _ReleaseOnGiveUp(holder)
            logging.getLogger("costbridge.api").addHandler(release)
            try:
                out = upload(client, admin, "vendors", "vendors.csv", fj.vendors_csv())
            finally:
                logging.getLogger("costbridge.api").removeHandler(release)
            assert release.fired.is_set()
            assert out["errors"][0]["code"] == "DATABASE_BUSY"
            assert out["importRun"]["status"] == "FAILED"
            assert out["importRun"]["errors"][0]["code"] == "DATABASE_BUSY"

            holder.execute("BEGIN IMMEDIATE")
            threading.Timer(0.3, holder.execute, ["ROLLBACK"]).start()
            done = gql.data(CREATE, {"input": {"number": "24-002", "name": "Waited"}})["createProject"]
            assert done == {"project": {"number": "24-002"}, "errors": []}
    finally:
        holder.close()
        quick.dispose()
    with session_factory() as s:
        assert s.scalars(select(Project.number)).all() == ["24-002"]


@pytest.mark.only_backend("sqlite")
def test_a_sign_in_while_another_writer_holds_sqlite_skips_the_last_use_stamp(engine, admin, session_factory):
    """A token's last-use stamp is bookkeeping: while another writer holds SQLite's lock, a read
    whose token is due for its stamp answers at once (neither after the busy timeout nor
    DATABASE_BUSY), and a later request records the stamp."""
    path = engine.url.database
    patient = make_engine(f"sqlite:///{path}", sqlite_busy_timeout_ms=30_000)
    app = create_app(engine=patient, settings=Settings())
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def last_use():
        with session_factory() as s:
            return s.scalar(select(ApiToken.last_used_at).where(ApiToken.user_id == admin.user_id))

    viewer = "{ viewer { user { name } isAccountingApprover } }"
    try:
        with checked_client(app) as client:
            gql = GraphQLClient(client, admin)
            assert last_use() is None
            holder.execute("BEGIN IMMEDIATE")
            started = time.monotonic()
            expected = {"viewer": {"user": {"name": "Ada Admin"}, "isAccountingApprover": True}}
            assert gql.data(viewer) == expected
            # far below the 30 s the stamp would have waited for the lock
            assert time.monotonic() - started < 10
            assert last_use() is None
            holder.execute("ROLLBACK")
            assert gql.data(viewer)["viewer"]["user"]["name"] == "Ada Admin"
            assert last_use() is not None
    finally:
        holder.close()
        patient.dispose()


def test_concurrent_writers_succeed_or_get_a_coded_answer(client, admin, session_factory):
    gql = GraphQLClient(client, admin)

    def create(i: int) -> dict:
        return gql.data(CREATE, {"input": {"number": f"P-{i:03d}", "name": f"Project {i}"}})["createProject"]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(create, range(24)))
    codes = {e["code"] for r in results for e in r["errors"]}
    assert codes <= {"DATABASE_BUSY"}, results
    created = sum(1 for r in results if r["project"])
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Project)) == created
    assert created >= 1


@pytest.mark.only_backend("postgresql")
def test_a_serialization_failure_on_postgresql_is_retried(engine, session_factory):
    with session_factory() as s:
        m.create_project(s, SETUP, number="24-001", name="Before")
        s.commit()
    serializable = engine.execution_options(isolation_level="SERIALIZABLE")
    attempts = []

    def rename(s):
        attempts.append(len(attempts) + 1)
        project = s.scalar(select(Project).where(Project.number == "24-001"))
        if len(attempts) == 1:
            # another transaction changes the row after this one read it
            with engine.begin() as other:
                other.execute(text("UPDATE projects SET name = 'Other' WHERE number = '24-001'"))
        project.name = f"Renamed {len(attempts)}"
        s.flush()
        return project.name

    from sqlalchemy.orm import Session

    from models.audit import acting_as

    with acting_as(Session(serializable), SETUP) as s:
        assert retry_transient(s, rename, budget_seconds=5) == "Renamed 2"
    assert attempts == [1, 2]
    with session_factory() as s:
        assert s.scalar(select(Project.name)) == "Renamed 2"

    def always_conflicts(s):
        raise OperationalError("UPDATE", {}, _SerializationFailure())

    with Session(serializable) as s, pytest.raises(DatabaseBusy):
        retry_transient(s, always_conflicts, budget_seconds=0.2)


class _SerializationFailure(Exception):
    sqlstate = "40001"


def test_transient_failures_are_told_apart():
    locked = OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    other = OperationalError("INSERT", {}, sqlite3.OperationalError("no such table: x"))
    assert is_transient(locked) and not is_transient(other)
    assert is_transient(OperationalError("UPDATE", {}, _SerializationFailure()))
    assert not is_transient(RuntimeError("database is locked"))


@pytest.mark.only_backend("postgresql")
def test_a_statement_over_the_postgresql_timeout_is_query_timeout(engine, admin, session, monkeypatch):
    project = m.create_project(session, SETUP, number="24-001", name="Harbor Clinic")
    session.commit()

    def slow(s, *_args, **_kwargs):
        s.execute(text("SELECT pg_sleep(5)"))

    monkeypatch.setattr("models.reports.job_cost_report", slow)
    app = create_app(engine=engine, settings=Settings(statement_timeout_ms=200))
    with checked_client(app) as client:
        body = GraphQLClient(client, admin).execute(
            f'{{ jobCostReport(projectId: "{m_id(project)}") {{ projectNumber }} }}'
        )
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "QUERY_TIMEOUT"}
    assert error["message"].startswith("The request ran longer than the server allows")
