"""GraphQL subscriptions against the real server (``costbridge serve`` in its own process, the file
connector running inside it every second), with a real WebSocket client (the ``websockets``
package) speaking graphql-transport-ws, on both databases:

- an approver watching a project sees it go READY_TO_EXPORT -> EXPORTING -> SYNCED as the project
  manager sends it, another approver accepts it and the connector delivers it: exactly those three
  events, each with its history entry; a user without access to projects receives nothing; an
  agent watching the outbox sees the export PENDING, DELIVERED, ACKNOWLEDGED;
- an import's progress events arrive in order, phase by phase, and end with the final counts and
  the recorded ImportRun;
- on PostgreSQL, a subscriber on one server process sees a change committed through another;
- the WebSocket path stays bounded: no token, a revoked token, a query instead of a subscription,
  too many subscriptions, an oversized or malformed message, a missing connection_init: each is
  refused with a code, and the server log shows no traceback.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from api.relay import from_global_id, to_global_id
from models.audit import sessions_acting_as
from models.db import make_sessionmaker
from models.enums import PermissionLevel, Tool
from models.projects import ProjectCostCode
from models.users import User, issue_token, revoke_tokens
from models.wbs import CostCode, CostType
from tests.actors import SETUP
from tests.conftest import fresh_database
from tests.factories_imports import upload
from tests.factories_workflow import approver, configure, pm, project, user
from tests.files_budget import with_rows
from tests.leaks import LEAK, check_response
from tests.test_serving_live import _server

PROTOCOL = "graphql-transport-ws"
WAIT = 20  # seconds an expected event may take (the connector runs every second)
QUIET = 2.5  # seconds of silence that show nothing more is coming

SYNC_WATCH = """
subscription($project: ID) {
  syncStatusChanged(projectId: $project) {
    recordType recordId status projectId
    historyEntry { action fromStatus toStatus actor }
    record { ... on Project { number name } }
  }
}
"""
OUTBOX_WATCH = "subscription { outboxChanged { exportId status recordType export { erpEntity } } }"
IMPORT_WATCH = """
subscription {
  importRunProgress {
    importRunId kind fileName phase done total rowsRead rowsPlanned rowsWritten finished outcome
    importRun { id status counts { rows create } }
  }
}
"""
SEND = "mutation($ids: [ID!]!) { sendToErp(input: {ids: $ids}) { succeeded errors { code } } }"
ACCEPT = (
    "mutation($items: [AcceptItemInput!]!) { acceptErpExport(input: {items: $items}) { succeeded "
    "results { errors { code message } } } }"
)


def _sessions(engine):
    """Set-up sessions: they change financial records, as the set-up actor."""
    return sessions_acting_as(make_sessionmaker(engine), SETUP)


@dataclass
class World:
    project_id: str
    project_number: str
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def _seed(engine) -> World:
    factory = _sessions(engine)
    with factory() as s:
        configure(s)
        people = {
            "pm": pm(s),
            "watcher": approver(s),
            "acceptor": approver(s),
            # reads budgets (so it may subscribe) but not projects
            "outsider": user(s, "Otto Outsider", {Tool.BUDGET: PermissionLevel.ADMIN}),
            "agent": user(s, "Agent", {Tool.ERP_INTEGRATIONS: PermissionLevel.ADMIN}),
        }
        row = project(s, number="24-077", name="Harbor Clinic")
        s.flush()
        tokens = {name: issue_token(s, SETUP, person) for name, person in people.items()}
        s.commit()
        return World(to_global_id("Project", row.id), row.number, tokens)


@contextmanager
def _live_server(engine, directory: Path, *arguments: str) -> Iterator[str]:
    with _server(engine, directory, *arguments) as (_proc, base, _output):
        yield base


@pytest.fixture(scope="module")
def live(backend, request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(f"subscriptions-{backend}")
    with fresh_database(backend, request, directory) as engine:
        world = _seed(engine)
        with pytest.MonkeyPatch.context() as env:
            env.setenv("COSTBRIDGE_TOKEN_CACHE_SECONDS", "1")
            with _live_server(engine, directory, "--connector-every", "1") as base:
                yield base, world, engine, directory


# --- the client ------------------------------------------------------------------------------------


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/graphql"


@contextmanager
def socket(base: str, token: str | None, *, init: bool = True) -> Iterator[ClientConnection]:
    with connect(ws_url(base), subprotocols=[PROTOCOL], open_timeout=10, close_timeout=2) as ws:
        if init:
            payload = {"Authorization": f"Bearer {token}"} if token else {}
            ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            if token:
                assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
        yield ws


def subscribe(ws: ClientConnection, op_id: str, query: str, variables: dict | None = None) -> None:
    ws.send(
        json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables}})
    )


def receive(ws: ClientConnection, timeout: float) -> dict | None:
    try:
        message = json.loads(ws.recv(timeout=timeout))
    except TimeoutError:
        return None
    text = json.dumps(message)
    assert LEAK.search(text) is None, text
    return message


def events(ws: ClientConnection, count: int, timeout: float = WAIT) -> list[dict]:
    """The next ``count`` messages (each a ``next`` without errors), then nothing for QUIET s."""
    found = []
    deadline = time.monotonic() + timeout
    while len(found) < count:
        message = receive(ws, max(deadline - time.monotonic(), 0.01))
        assert message is not None, f"only {len(found)} of {count} events arrived: {found}"
        assert message["type"] == "next" and not message["payload"].get("errors"), message
        found.append(message)
    extra = receive(ws, QUIET)
    assert extra is None, f"an event too many: {extra}"
    return found


def closed_with(ws: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        for _ in range(10):
            ws.recv(timeout=15)
    return closed.value.rcvd.code, closed.value.rcvd.reason


def http(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, event_hooks={"response": [check_response]}, timeout=60)


def graphql(base: str, world: World, who: str, query: str, variables: dict) -> dict:
    with http(base) as client:
        response = client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=world.headers(who)
        )
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]


# --- the tests ------------------------------------------------------------------------------------------


def test_an_approver_sees_a_project_go_to_the_erp_and_an_outsider_sees_nothing(live):
    base, world, _engine, _directory = live
    with (
        socket(base, world.tokens["watcher"]) as watcher,
        socket(base, world.tokens["outsider"]) as outsider,
        socket(base, world.tokens["agent"]) as agent,
    ):
        subscribe(watcher, "w", SYNC_WATCH, {"project": world.project_id})
        subscribe(outsider, "o", SYNC_WATCH, {"project": None})
        subscribe(agent, "a", OUTBOX_WATCH)
        time.sleep(0.5)  # the subscriptions are registered before anything changes

        sent = graphql(base, world, "pm", SEND, {"ids": [world.project_id]})["sendToErp"]
        assert sent == {"succeeded": 1, "errors": []}
        item = {"id": world.project_id, "erpJobId": "J-24077"}
        accepted = graphql(base, world, "acceptor", ACCEPT, {"items": [item]})["acceptErpExport"]
        assert accepted["succeeded"] == 1, accepted
        # the connector inside the server delivers the export within a second or two

        changes = [m["payload"]["data"]["syncStatusChanged"] for m in events(watcher, 3)]
        assert [c["status"] for c in changes] == ["READY_TO_EXPORT", "EXPORTING", "SYNCED"]
        assert [(c["historyEntry"]["action"], c["historyEntry"]["fromStatus"]) for c in changes] == [
            ("send", "NOT_SENT"),
            ("accept", "READY_TO_EXPORT"),
            ("acknowledge", "EXPORTING"),
        ]
        assert [c["historyEntry"]["actor"] for c in changes] == ["Pat Manager", "Alex Approver", "file"]
        for change in changes:
            assert change["recordType"] == "PROJECT" and change["recordId"] == world.project_id
            assert change["projectId"] == world.project_id
            assert change["record"] == {"number": world.project_number, "name": "Harbor Clinic"}

        assert receive(outsider, 0.5) is None  # nothing at all, not even an error

        exports = [m["payload"]["data"]["outboxChanged"] for m in events(agent, 3)]
        assert [e["status"] for e in exports] == ["PENDING", "DELIVERED", "ACKNOWLEDGED"]
        assert {e["recordType"] for e in exports} == {"PROJECT"}
        assert len({e["exportId"] for e in exports}) == 1
        assert exports[0]["export"]["erpEntity"]


def test_an_imports_progress_arrives_in_order_and_ends_with_the_counts(live):
    base, world, engine, _directory = live
    codes = [f"31-{i:03d}" for i in range(40)]
    with _sessions(engine)() as s:
        s.execute(insert(CostCode), [{"code": c, "description": c, "division": "31"} for c in codes])
        s.execute(insert(CostType), [{"code": "9", "name": "Other"}])
        ids = s.scalars(select(CostCode.id).where(CostCode.code.in_(codes))).all()
        project_pk = from_global_id(world.project_id)[1]
        s.execute(insert(ProjectCostCode), [{"project_id": project_pk, "cost_code_id": i} for i in ids])
        s.commit()
    rows = [["", code, "9", f"Line {code}", f"{100 + i}.25"] for i, code in enumerate(codes)]

    class Budgeteer:
        headers = world.headers("pm")

    with socket(base, world.tokens["pm"]) as ws, socket(base, world.tokens["watcher"]) as other:
        subscribe(ws, "i", IMPORT_WATCH)
        subscribe(other, "i", IMPORT_WATCH)  # someone else's import: not theirs to watch
        time.sleep(0.5)
        with http(base) as client:
            payload = upload(
                client, Budgeteer, "budget", "budget.csv", with_rows(rows), projectId=world.project_id
            )
        assert payload["errors"] == [] and payload["importRun"]["status"] == "SUCCEEDED"

        progress = []
        deadline = time.monotonic() + WAIT
        while not (progress and progress[-1]["finished"]):
            message = receive(ws, max(deadline - time.monotonic(), 0.01))
            assert message is not None, f"no final event: {progress}"
            assert message["type"] == "next" and not message["payload"].get("errors"), message
            progress.append(message["payload"]["data"]["importRunProgress"])
        assert receive(other, 0.5) is None

    assert {p["importRunId"] for p in progress} == {payload["importRun"]["id"]}
    assert {(p["kind"], p["fileName"]) for p in progress} == {("BUDGET", "budget.csv")}
    order = ["READ", "CHECK", "MATCH", "WRITE", "PLACE", "DONE"]
    phases = [order.index(p["phase"]) for p in progress]
    assert phases == sorted(phases) and progress[0]["phase"] == "READ"
    for phase in {p["phase"] for p in progress}:
        done = [p["done"] for p in progress if p["phase"] == phase]
        assert done == sorted(done), (phase, done)
    checked = [p for p in progress if p["phase"] == "CHECK"]
    assert checked[-1]["done"] == checked[-1]["total"] == len(rows)
    written = [p for p in progress if p["phase"] == "WRITE"]
    assert written[-1]["done"] == len(rows)
    last = progress[-1]
    assert last["phase"] == "DONE" and last["outcome"] == "SUCCEEDED"
    assert (last["rowsRead"], last["rowsPlanned"], last["rowsWritten"]) == (len(rows), len(rows), len(rows))
    assert last["importRun"] == {
        "id": payload["importRun"]["id"],
        "status": "SUCCEEDED",
        "counts": {"rows": len(rows), "create": len(rows)},
    }
    assert all(not p["finished"] and p["importRun"] is None for p in progress[:-1])


def test_refusals_are_coded_and_bounded(live, monkeypatch):
    base, world, _engine, _directory = live
    # no token, a wrong token
    for payload in ({}, {"Authorization": "Bearer cb_nope"}):
        with socket(base, None, init=False) as ws:
            ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            code, reason = closed_with(ws)
            assert code == 4403 and reason.startswith("UNAUTHENTICATED"), (code, reason)
    with socket(base, world.tokens["watcher"]) as ws:
        # a query is not a subscription
        subscribe(ws, "q", "{ viewer { user { name } } }")
        message = receive(ws, 10)
        assert message["type"] == "error" and message["id"] == "q"
        assert message["payload"][0]["extensions"]["code"] == "SUBSCRIPTIONS_ONLY"
        # a document that does not parse or validate, limits, and an argument that is no ID
        subscribe(ws, "p", "subscription { syncStatusChanged { ")
        assert receive(ws, 10)["payload"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
        subscribe(ws, "v", "subscription { syncStatusChanged { nope } }")
        assert receive(ws, 10)["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        subscribe(ws, "d", "subscription { syncStatusChanged { " + "record { " * 13 + "}" * 14)
        assert receive(ws, 10)["payload"][0]["extensions"]["code"] in (
            "QUERY_TOO_COMPLEX",
            "GRAPHQL_PARSE_FAILED",
        )
        subscribe(ws, "g", 'subscription { syncStatusChanged(projectId: "garbage") { status } }')
        assert receive(ws, 10)["payload"][0]["extensions"]["code"] == "INVALID_ID"
        # the outbox is for accounting and agents
        with socket(base, world.tokens["outsider"]) as outsider:
            subscribe(outsider, "x", OUTBOX_WATCH)
            refused = receive(outsider, 10)
            assert refused["type"] == "error"
            assert refused["payload"][0]["extensions"]["code"] == "PERMISSION_DENIED"
        # at most 20 subscriptions per connection
        for n in range(20):
            subscribe(ws, f"s{n}", SYNC_WATCH)
        subscribe(ws, "s20", SYNC_WATCH)
        message = receive(ws, 10)
        assert (
            message["id"] == "s20" and message["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        )
        # an oversized message closes the connection
        ws.send(json.dumps({"type": "ping", "payload": {"x": "y" * 70_000}}))
        code, reason = closed_with(ws)
        assert code in (1009, 1011) or reason.startswith("REQUEST_TOO_LARGE"), (code, reason)
    for bad in ('["a list"]', '{"type": 7}', '{"type": "subscribe", "id": "1", "payload": []}', "not json"):
        with socket(base, world.tokens["watcher"]) as ws:
            ws.send(bad)
            code, _reason = closed_with(ws)
            assert code == 4400, (bad, code)


def test_a_connection_without_connection_init_is_closed(backend, request, tmp_path, monkeypatch):
    monkeypatch.setenv("COSTBRIDGE_WS_INIT_TIMEOUT_SECONDS", "1")
    with fresh_database(backend, request, tmp_path) as engine:
        _seed(engine)
        with (
            _live_server(engine, tmp_path, "--connector-every", "0") as base,
            socket(base, None, init=False) as ws,
        ):
            started = time.monotonic()
            code, _reason = closed_with(ws)
            assert code == 4408 and time.monotonic() - started < 5


def test_a_revoked_token_stops_its_subscriptions(live):
    base, world, engine, _directory = live
    with _sessions(engine)() as s:
        person = user(s, "Rita Revoked", {t: PermissionLevel.READ_ONLY for t in Tool})
        token = issue_token(s, SETUP, person)
        other = project(s, number="24-078", name="Bay Library")
        s.commit()
        person_id, other_id = person.id, to_global_id("Project", other.id)
    with socket(base, token) as ws:
        subscribe(ws, "r", SYNC_WATCH)
        time.sleep(0.5)
        with _sessions(engine)() as s:
            revoke_tokens(s, SETUP, s.get(User, person_id))
            s.commit()
        # the server is another process: it forgets the token within its cache time (1 s here)
        time.sleep(1.5)
        assert graphql(base, world, "pm", SEND, {"ids": [other_id]})["sendToErp"]["succeeded"] == 1
        code, reason = closed_with(ws)
        assert code == 4403 and reason.startswith("UNAUTHENTICATED"), (code, reason)


@pytest.mark.only_backend("postgresql")
def test_a_change_through_one_server_process_reaches_a_subscriber_on_another(backend, request, tmp_path):
    with fresh_database(backend, request, tmp_path) as engine:
        world = _seed(engine)
        with (
            _live_server(engine, tmp_path, "--connector-every", "0") as a,
            _live_server(engine, tmp_path, "--connector-every", "0") as b,
            socket(a, world.tokens["watcher"]) as watcher,
        ):
            subscribe(watcher, "w", SYNC_WATCH, {"project": world.project_id})
            time.sleep(0.5)
            assert graphql(b, world, "pm", SEND, {"ids": [world.project_id]})["sendToErp"]["succeeded"] == 1
            (change,) = [m["payload"]["data"]["syncStatusChanged"] for m in events(watcher, 1)]
            assert change["status"] == "READY_TO_EXPORT" and change["historyEntry"]["actor"] == "Pat Manager"


def test_an_event_for_a_client_that_has_gone_ends_its_operation_quietly(caplog):
    """A client may close (or be closed for a bad message) while an event is on its way: the send
    fails, the operation ends, and nothing is logged as an unexpected error."""
    import asyncio

    from strawberry.http.exceptions import WebSocketDisconnected

    from api.subscriptions.ws import deliver

    class Gone:
        id = "s1"

        async def send_operation_message(self, message):
            raise WebSocketDisconnected()

    class Open(Gone):
        sent: list = []

        async def send_operation_message(self, message):
            self.sent.append(message)

    with caplog.at_level("WARNING"):
        assert asyncio.run(deliver(Gone(), {"id": "s1", "type": "next", "payload": {}})) is False
        open_one = Open()
        assert asyncio.run(deliver(open_one, {"id": "s1", "type": "complete"})) is True
    assert open_one.sent == [{"id": "s1", "type": "complete"}]
    assert not caplog.records
