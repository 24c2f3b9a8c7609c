"""The permission matrix, generated from the schema and the routes: every Query root field, every
Subscription field (subscribing), every node type through node(id:), syncPreflight for every record
type, and every download route, asked
by users at NONE / READ_ONLY / STANDARD / ADMIN on each tool the policy entry looks at (the other
tools at ADMIN, or at NONE for "one of" entries), with and without the approver privilege.

Each field, type and route must carry a policy entry (its permission class's ``need``, its node
registration's need, its ``Download.need``); one without fails here, as does a refusal that is not
a coded PERMISSION_DENIED or an answer the entry does not allow. One database per backend serves
the whole matrix.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from inspect import isawaitable
from pathlib import Path

import pytest
from graphql import (
    ExecutionResult,
    Executor,
    GraphQLNonNull,
    GraphQLObjectType,
    Undefined,
    create_source_event_stream,
    get_named_type,
    is_leaf_type,
    parse,
)
from starlette.routing import Route
from starlette.testclient import TestClient

from api.downloads import DOWNLOADS
from api.permissions import PerRecord, PolicyPermission
from api.relay import NODE_REGISTRY, from_global_id, to_global_id
from api.schema import schema
from models import registry
from models.enums import PermissionLevel, Tool
from models.policy import CONNECTOR, OUTBOX, SIGNED_IN, Need, SystemActor, reading
from models.users import create_user, issue_token
from tests.actors import SETUP
from tests.conftest import fresh_database
from tests.factories_policy import World, build_world
from tests.leaks import checked_client

LEVELS = tuple(PermissionLevel)
GRAPHQL = schema._schema
_seq = itertools.count()


# --- who asks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    """A user with ``level`` on ``tool`` and ``others`` on every other tool."""

    tool: Tool | None
    level: PermissionLevel
    others: PermissionLevel
    approver: bool
    connector: bool = False

    @property
    def levels(self) -> dict[Tool, PermissionLevel]:
        return {t: (self.level if t == self.tool else self.others) for t in Tool}

    def stand_in(self) -> SystemActor:
        """An actor with the same permissions, to ask the policy what this user may do."""
        return SystemActor(
            str(self), self.levels, can_push_to_accounting=self.approver, acts_as_connector=self.connector
        )

    def __str__(self) -> str:
        tool = self.tool.value if self.tool else "every tool"
        return (
            f"{self.level.name} on {tool}, {self.others.name} elsewhere, approver={self.approver}, "
            f"connector={self.connector}"
        )


def personas(*needs: Need) -> list[Persona]:
    """The users that tell whether each tool of ``needs`` is checked at the level it asks (with and
    without the approver privilege, and the connector privilege where a need asks for it)."""
    found: dict[Persona, None] = {}
    for need in needs:
        one_of = {tool for tool, _ in need.any_of}
        connectors = (False, True) if need.connector else (False,)
        for tool in need.tools or (None,):
            others = PermissionLevel.NONE if tool in one_of or tool is None else PermissionLevel.ADMIN
            for level, approver, connector in itertools.product(LEVELS, (False, True), connectors):
                found[Persona(tool, level, others, approver, connector)] = None
    return list(found)


@dataclass
class Matrix:
    client: TestClient
    world: World
    session_factory: object
    tokens: dict[Persona, str] = field(default_factory=dict)

    def headers(self, persona: Persona) -> dict[str, str]:
        token = self.tokens.get(persona)
        if token is None:
            with self.session_factory() as s:
                user = create_user(
                    s,
                    SETUP,
                    name=str(persona),
                    email=f"matrix.{next(_seq)}@example.com",
                    levels=persona.levels,
                    can_push_to_accounting=persona.approver,
                    acts_as_connector=persona.connector,
                )
                token = self.tokens[persona] = issue_token(s, SETUP, user)
                s.commit()
        return {"Authorization": f"Bearer {token}"}

    def graphql(self, persona: Persona, query: str) -> dict:
        response = self.client.post("/graphql", json={"query": query}, headers=self.headers(persona))
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def matrix(backend, request, tmp_path_factory) -> Iterator[Matrix]:
    from api.app import create_app
    from models.db import make_sessionmaker

    with fresh_database(backend, request, tmp_path_factory.mktemp("matrix")) as engine:
        factory = make_sessionmaker(engine)
        with factory() as s:
            world = build_world(s)
        with checked_client(create_app(engine=engine)) as client:
            yield Matrix(client, world, factory)


def check(body: dict, alias: str, allowed: bool, what: str) -> None:
    assert all(e.get("path") for e in body.get("errors") or []), body["errors"]
    errors = [e for e in body.get("errors") or [] if e["path"][0] == alias]
    value = (body.get("data") or {}).get(alias)
    if allowed:
        assert not errors and value is not None, f"{what}: refused or empty: {errors}"
    else:
        assert value is None, f"{what}: answered with data"
        assert [e["extensions"].get("code") for e in errors] == ["PERMISSION_DENIED"], f"{what}: {errors}"


# --- the policy entries, read from the schema -----------------------------------------------------


def _selection(type_) -> str:
    return "" if is_leaf_type(get_named_type(type_)) else " { __typename }"


def root_fields(root: str = "Query") -> dict[str, type]:
    """GraphQL name -> the permission class that is its policy entry."""
    entries = {}
    for f in schema.get_type_by_name(root).fields:
        name = schema.config.name_converter.get_graphql_name(f)
        policy = [p for p in f.permission_classes if issubclass(p, PolicyPermission | PerRecord)]
        assert len(policy) == 1, (
            f"{root}.{name} has no policy entry (a Requires(...) or PerRecord permission)"
        )
        entries[name] = policy[0]
    return entries


def root_arguments(world: World) -> dict[tuple[str, str], str]:
    """Values for the required arguments of root fields."""
    return {("jobCostReport", "projectId"): world.project}


def node_types() -> dict[str, object]:
    """GraphQL name of every type implementing Node -> its node registration."""
    by_name = {
        entry.strawberry_type.__strawberry_definition__.name: entry for entry in NODE_REGISTRY.values()
    }
    found = {}
    for type_ in GRAPHQL.type_map.values():
        if isinstance(type_, GraphQLObjectType) and any(i.name == "Node" for i in type_.interfaces):
            assert type_.name in by_name, f"{type_.name} implements Node but has no node(id:) policy entry"
            found[type_.name] = by_name[type_.name]
    return found


def test_every_root_field_node_type_and_route_has_a_policy_entry(matrix):
    app = matrix.client.app
    assert set(root_fields()) >= {"projects", "vendors", "erpExports", "importRuns", "node", "erp"}
    assert set(node_types()) == {
        "Budget", "BudgetLine", "BudgetModification", "Commitment", "CommitmentChangeOrder",
        "CommitmentLine", "CostCode", "CostType", "DirectCost", "ErpExport", "ImportRun", "PrimeContract",
        "PrimeContractChangeOrder", "Project", "SubJob", "SubcontractorInvoice", "Vendor",
    }  # fmt: skip
    while not hasattr(app, "routes"):  # through the middleware to the Starlette app
        app = app.app
    served = {r.path for r in app.routes if isinstance(r, Route) and r.path.startswith("/exports/")}
    assert served == {d.path for d in DOWNLOADS}, "a download route without a policy entry"
    for download in DOWNLOADS:
        assert isinstance(download.need, Need)


# --- the matrix ------------------------------------------------------------------------------------


def test_root_fields(matrix):
    arguments = root_arguments(matrix.world)
    fields: dict[str, Need] = {}
    text: dict[str, str] = {}
    for name, permission in root_fields().items():
        if permission is PerRecord:
            continue  # node and syncPreflight: per record type, below
        field_def = GRAPHQL.query_type.fields[name]
        args = []
        for arg_name, arg in field_def.args.items():
            if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined:
                value = arguments.get((name, arg_name))
                assert value is not None, f"give a value for the required argument {name}({arg_name}:)"
                args.append(f'{arg_name}: "{value}"')
        text[name] = name + (f"({', '.join(args)})" if args else "") + _selection(field_def.type)
        fields[name] = permission.need
    asked = 0
    for persona in personas(*fields.values()):
        wanted = [n for n, need in fields.items() if persona in personas(need)]
        body = matrix.graphql(persona, "{ " + " ".join(text[n] for n in wanted) + " }")
        for name in wanted:
            check(body, name, fields[name].allows(persona.stand_in()), f"Query.{name} for {persona}")
            asked += 1
    assert asked >= 8 * len(fields)


def test_node_types_and_sync_preflight(matrix):
    world = matrix.world
    cases: dict[str, tuple[str, Need]] = {}
    with matrix.session_factory() as s:
        for type_name, entry in node_types().items():
            gid = world.ids[type_name]
            need = entry.need
            if entry.row_need is not None:
                need = need & entry.row_need(s.get(entry.model, from_global_id(gid)[1]))
            cases[f"node_{type_name}"] = (f'node(id: "{gid}") {{ __typename }}', need)
    for spec in registry.REGISTRY:
        gid = world.record_ids[spec.record_type.value]
        cases[f"preflight_{spec.type_name}"] = (
            f'syncPreflight(id: "{gid}") {{ canSend }}',
            reading(spec.tool),
        )
        cases[f"audit_{spec.type_name}"] = (
            f'auditTrail(recordId: "{gid}") {{ totalCount }}',
            reading(spec.tool),
        )
        # the exports of one record are read like the whole outbox
        cases[f"exports_{spec.type_name}"] = (f'erpExports(recordId: "{gid}") {{ totalCount }}', OUTBOX)
    assert len(cases) == len(node_types()) + 3 * len(registry.REGISTRY)
    for persona in personas(*(need for _, need in cases.values())):
        wanted = [alias for alias, (_, need) in cases.items() if persona in personas(need)]
        body = matrix.graphql(persona, "{ " + " ".join(f"{a}: {cases[a][0]}" for a in wanted) + " }")
        for alias in wanted:
            check(body, alias, cases[alias][1].allows(persona.stand_in()), f"{alias} for {persona}")


@dataclass
class _Subscriber:
    """What a subscription resolver sees as its context while subscribing: who is asking."""

    actor: SystemActor


def _subscribe(name: str, actor: SystemActor):
    """Open ``name``'s event stream as the WebSocket handler does (``api.subscriptions.ws``): the
    root field's permission class decides; the stream itself is closed unread."""

    async def run():
        executor = Executor.build(
            GRAPHQL, parse(f"subscription {{ {name} {{ __typename }} }}"), None, _Subscriber(actor)
        )
        stream = create_source_event_stream(executor)
        if isawaitable(stream):
            stream = await stream
        if isinstance(stream, ExecutionResult):
            return stream.errors
        await stream.aclose()
        return None

    return asyncio.run(run())


def test_subscription_fields():
    fields = {name: permission.need for name, permission in root_fields("Subscription").items()}
    assert set(fields) == {"syncStatusChanged", "outboxChanged", "importRunProgress"}
    for persona in personas(*fields.values()):
        for name, need in fields.items():
            if persona not in personas(need):
                continue
            errors = _subscribe(name, persona.stand_in())
            if need.allows(persona.stand_in()):
                assert errors is None, f"Subscription.{name} for {persona}: {errors}"
            else:
                codes = [e.extensions.get("code") for e in errors or []]
                assert codes == ["PERMISSION_DENIED"], f"Subscription.{name} for {persona}: {errors}"


# Fields of a visible record that need more than the record's own tool, and the mutations whose
# need is fixed (the connector's), as the policy entries their resolvers ask: (type or mutation,
# field, need, the record type of the node the field is asked on).
RECORD_FIELDS: tuple[tuple[str, str, str, Need], ...] = (
    ("Project", "primeContracts", "primeContracts { id }", reading(Tool.PRIME_CONTRACTS)),
    ("PrimeContract", "project", "project { id }", reading(Tool.PROJECT_ADMIN)),
    ("PrimeContractChangeOrder", "sync.exports", "sync { exports { id } }", OUTBOX),
    ("Commitment", "sync.exports", "sync { exports { id } }", OUTBOX),
)
CONNECTOR_MUTATIONS: dict[str, str] = {
    "acknowledgeErpExport": 'acknowledgeErpExport(input: {{exportId: "{id}"}}) {{ errors {{ code }} }}',
    "failErpExport": (
        'failErpExport(input: {{exportId: "{id}", messages: ["refused"]}}) {{ errors {{ code }} }}'
    ),
}


def test_fields_that_need_another_tool(matrix):
    """Asked through node(id:): refused either at the node (its own tool) or at the field (the field's
    need), with PERMISSION_DENIED; answered when the user holds both."""
    with matrix.session_factory() as s:
        for type_name, field_name, selection, need in RECORD_FIELDS:
            gid = matrix.world.ids[type_name]
            entry = NODE_REGISTRY[type_name]
            whole = entry.need & need
            if entry.row_need is not None:
                whole = whole & entry.row_need(s.get(entry.model, from_global_id(gid)[1]))
            for persona in personas(whole):
                body = matrix.graphql(
                    persona, f'{{ n: node(id: "{gid}") {{ ... on {type_name} {{ {selection} }} }} }}'
                )
                node = (body.get("data") or {}).get("n")
                value = node
                for part in field_name.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                what = f"{type_name}.{field_name} for {persona}"
                if whole.allows(persona.stand_in()):
                    assert not body.get("errors") and value is not None, f"{what}: {body}"
                else:
                    assert value is None, f"{what}: answered with data"
                    codes = [e["extensions"].get("code") for e in body["errors"]]
                    assert codes == ["PERMISSION_DENIED"], f"{what}: {body['errors']}"


def test_connector_mutations(matrix):
    """acknowledgeErpExport and failErpExport: the connector's need, checked before the export is
    looked up (an export that does not exist is EXPORT_NOT_FOUND for a connector only)."""
    missing = to_global_id("ErpExport", 2**31 - 1)
    for persona in personas(CONNECTOR):
        body = matrix.graphql(
            persona,
            "mutation { "
            + " ".join(f"{name}: {text.format(id=missing)}" for name, text in CONNECTOR_MUTATIONS.items())
            + " }",
        )
        expected = "EXPORT_NOT_FOUND" if CONNECTOR.allows(persona.stand_in()) else "PERMISSION_DENIED"
        for name in CONNECTOR_MUTATIONS:
            codes = [e["code"] for e in body["data"][name]["errors"]]
            assert codes == [expected], f"{name} for {persona}: {body}"


def test_download_routes(matrix):
    for download in DOWNLOADS:
        path = download.path.replace("{project_id}", matrix.world.project).replace("{fmt}", "csv")
        for persona in personas(download.need):
            response = matrix.client.get(path, headers=matrix.headers(persona))
            if download.need.allows(persona.stand_in()):
                assert response.status_code == 200, f"{path} for {persona}: {response.text}"
            else:
                assert response.status_code == 403, f"{path} for {persona}"
                assert response.json()["errors"][0]["code"] == "PERMISSION_DENIED"


def test_signed_in_entries_are_open_to_every_active_user():
    open_fields = {name for name, p in root_fields().items() if getattr(p, "need", None) == SIGNED_IN}
    assert open_fields == {"viewer", "erp"}


# --- the documented matrix ------------------------------------------------------------------------

PER_RECORD = "READ_ONLY on the record's tool"


def documented_lines() -> list[str]:
    """The table rows docs/workflow.md must show, one per root field, node type and download, as
    the policy entries declare them (each row may go on with more columns)."""
    lines = []
    for name, permission in sorted(root_fields().items()):
        need = PER_RECORD if permission is PerRecord else permission.need.describe()
        lines.append(f"| `{name}` | {need} |")
    for name, permission in sorted(root_fields("Subscription").items()):
        lines.append(f"| `{name}` | {permission.need.describe()} |")
    for name, entry in sorted(node_types().items()):
        lines.append(f"| `{name}` | {entry.need.describe()} |")
    for download in DOWNLOADS:
        lines.append(f"| `GET {download.path}` | {download.need.describe()} |")
    lines.append(f"| `erpExports(recordId:)` | {OUTBOX.describe()} |")
    for type_name, field_name, _selection, need in RECORD_FIELDS:
        lines.append(f"| `{type_name}.{field_name}` | {need.describe()} |")
    for name in CONNECTOR_MUTATIONS:
        lines.append(f"| `{name}` | {CONNECTOR.describe()} |")
    return lines


def test_the_documented_matrix_is_the_policy():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "workflow.md").read_text()
    missing = [line for line in documented_lines() if line not in docs]
    assert not missing, "docs/workflow.md does not show:\n" + "\n".join(missing)
