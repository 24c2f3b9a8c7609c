"""Test fixtures: every database test runs on SQLite and on a real PostgreSQL the harness starts.

Each test gets its own freshly migrated database: a copy of a migrated SQLite file, or a
PostgreSQL database cloned from a migrated template. Select backends with
``--backend sqlite|postgresql|all`` (default all).
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from models.audit import sessions_acting_as
from models.db import make_engine, make_sessionmaker, migrate
from models.enums import PermissionLevel, Tool
from models.policy import ALL_ADMIN
from models.users import create_user, issue_token
from tests import pgserver
from tests.actors import SETUP

BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser):
    parser.addoption(
        "--backend",
        default="all",
        choices=["all", *BACKENDS],
        help="database backend(s) to run database tests on",
    )


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("backend")
        backends = BACKENDS if chosen == "all" else (chosen,)
        if "only_backend" in [m.name for m in metafunc.definition.iter_markers()]:
            wanted = metafunc.definition.get_closest_marker("only_backend").args
            backends = tuple(b for b in backends if b in wanted)
        metafunc.parametrize("backend", backends, scope="session")


def pytest_configure(config):
    config.addinivalue_line("markers", "only_backend(*names): run a database test only on these backends")


# --- SQLite ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.PgServer]:
    try:
        server = pgserver.start_server()
    except pgserver.PostgresUnavailable as exc:  # fail loudly, never skip
        pytest.fail(f"PostgreSQL test server could not start: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_template(pg_server) -> str:
    # unique per run, so a shared server (COSTBRIDGE_TEST_PG_URL) can serve several runs
    name = f"cb_template_{os.getpid()}"
    admin = make_engine(pg_server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    engine = make_engine(pg_server.url(name))
    migrate(engine)
    engine.dispose()
    return name


_counter = itertools.count()


@contextmanager
def fresh_database(backend: str, request, directory: Path) -> Iterator[Engine]:
    """A freshly migrated database on ``backend``, dropped afterwards."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = directory / f"test-{next(_counter)}.db"
        shutil.copyfile(template, path)
        eng = make_engine(f"sqlite:///{path}")
        try:
            yield eng
        finally:
            eng.dispose()
        return
    server = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template")
    name = f"t_{next(_counter)}"
    admin = make_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE {template}'))
    eng = make_engine(server.url(name))
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(backend, request, tmp_path) -> Iterator[Engine]:
    with fresh_database(backend, request, tmp_path) as eng:
        yield eng


@pytest.fixture
def session_factory(engine) -> sessionmaker[Session]:
    # test set-up writes records directly: its sessions act as the set-up actor (a test of the audit
    # trail names its own actor with models.audit.acting_as)
    return sessions_acting_as(make_sessionmaker(engine), SETUP)


@pytest.fixture
def session(session_factory) -> Iterator[Session]:
    s = session_factory()
    yield s
    s.rollback()
    s.close()


# --- users and the HTTP API ---------------------------------------------------------------------


@dataclass
class Actor:
    user_id: int
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_actor(session_factory):
    """Create a user with the given levels (and privileges) and return it with a fresh API token."""

    def _make(
        name: str = "User",
        levels: dict[Tool, PermissionLevel] | None = None,
        approver: bool = False,
        email: str | None = None,
        connector: bool = False,
    ) -> Actor:
        with session_factory() as s:
            user = create_user(
                s,
                SETUP,
                name=name,
                email=email or f"{name.lower().replace(' ', '.')}.{next(_counter)}@example.com",
                levels=levels or {},
                can_push_to_accounting=approver,
                acts_as_connector=connector,
            )
            token = issue_token(s, SETUP, user)
            s.commit()
            return Actor(user_id=user.id, name=name, token=token)

    return _make


@pytest.fixture
def admin(make_actor) -> Actor:
    return make_actor("Ada Admin", ALL_ADMIN, approver=True)


@pytest.fixture
def app(engine):
    from api.app import create_app
    from api.settings import load_settings

    # the environment as the test left it when the app was made, whatever ran before
    return create_app(engine=engine, settings=load_settings())


@pytest.fixture
def client(app):
    from tests.leaks import checked_client

    # every response any test receives: errors are coded and never show internals
    with checked_client(app) as c:
        yield c


class GraphQLClient:
    """Posts GraphQL over HTTP as a given actor; ``data`` asserts there were no top-level errors."""

    def __init__(self, http, actor: Actor | None):
        self.http = http
        self.actor = actor

    def as_(self, actor: Actor | None) -> GraphQLClient:
        return GraphQLClient(self.http, actor)

    def post(self, query: str, variables: dict | None = None, **kwargs):
        headers = self.actor.headers if self.actor else {}
        return self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers, **kwargs
        )

    def execute(self, query: str, variables: dict | None = None) -> dict:
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, query: str, variables: dict | None = None) -> dict:
        body = self.execute(query, variables)
        assert not body.get("errors"), body["errors"]
        return body["data"]


@pytest.fixture
def gql(client, admin) -> GraphQLClient:
    return GraphQLClient(client, admin)
