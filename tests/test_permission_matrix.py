"""The permission matrix, generated from the schema and the routes: every Query root field and every
field of the objects root fields answer that are neither records nor pages of them (``erp``,
``viewer``, the reports), every Subscription field (subscribing), every node type through node(id:),
syncPreflight for every record type, and every download route, asked by users at NONE / READ_ONLY /
STANDARD / ADMIN on each tool the policy entry looks at (the other tools at ADMIN, or at NONE for
"one of" entries), with and without the approver privilege. Every field of a record that reaches
another tool's records (its result is a node type, a list or a page of one, registered under a need
the record's own does not imply) is asked by the users who can see the record and not the other
tool's records.

Each field, type and route must carry a policy entry (its permission class's ``need``, its node
registration's need, its ``Download.need``); the fields of an object a root field answers to every
signed-in user (``erp``, ``viewer``) each carry their own, ``SIGNED_IN`` for the open ones (under a
guarded root field they may rely on the root's). One without fails here, as does a refusal that is
not a coded PERMISSION_DENIED or an answer the entry does not allow. One database per backend
serves the whole matrix.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from inspect import isawaitable
from pathlib import Path
from types import SimpleNamespace

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
from models.enums import ImportKind, PermissionLevel, Tool
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


def check(body: dict, alias: str, allowed: bool, what: str, inner_checked: bool = False) -> None:
    """The field at ``alias``: answered, or null with PERMISSION_DENIED. ``inner_checked``: errors
    below it are the caller's to check."""
    assert all(e.get("path") for e in body.get("errors") or []), body["errors"]
    errors = [
        e
        for e in body.get("errors") or []
        if e["path"][0] == alias and (len(e["path"]) == 1 or not inner_checked)
    ]
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


def own_entry(type_name: str, field_name: str) -> Need | None:
    """The need of the permission class a field of ``type_name`` carries, if any."""
    for f in schema.get_type_by_name(type_name).fields:
        if schema.config.name_converter.get_graphql_name(f) == field_name:
            policy = [p for p in f.permission_classes if issubclass(p, PolicyPermission)]
            assert len(policy) <= 1, f"{type_name}.{field_name} carries two policy entries"
            return policy[0].need if policy else None
    raise KeyError(f"{type_name}.{field_name}")


def is_node_type(type_) -> bool:
    return isinstance(type_, GraphQLObjectType) and any(i.name == "Node" for i in type_.interfaces)


def is_page(type_) -> bool:
    return isinstance(type_, GraphQLObjectType) and type_.name.endswith("Connection")


def singleton_fields() -> dict[str, dict[str, tuple[Need, bool]]]:
    """Root field -> field of the object it answers -> (its need: the root's and the field's own,
    whether the field carries its own entry), for every root field that answers one object that is
    neither a record nor a page of records. Under a root field open to every signed-in user, each
    field must carry its own entry."""
    found: dict[str, dict[str, tuple[Need, bool]]] = {}
    for name, permission in root_fields().items():
        type_ = get_named_type(GRAPHQL.query_type.fields[name].type)
        if permission is PerRecord or is_node_type(type_) or is_page(type_):
            continue
        if not isinstance(type_, GraphQLObjectType):
            continue
        found[name] = {}
        for field_name in type_.fields:
            own = own_entry(type_.name, field_name)
            if permission.need == SIGNED_IN:
                assert own is not None, (
                    f"{type_.name}.{field_name} (under {name}, open to every signed-in user) has no policy "
                    "entry: give it guarded(need, ...), SIGNED_IN when it is open"
                )
            found[name][field_name] = (permission.need & own if own else permission.need, own is not None)
    return found


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
    assert set(singleton_fields()) >= {"erp", "viewer", "accountantReport", "jobCostReport"}
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


def _value(body: dict, path: tuple[str, ...]):
    value = body.get("data")
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def test_root_fields(matrix):
    """Every root field, and every field of the objects root fields answer (``erp``, ``viewer``,
    the reports): answered when the entry allows, else null with PERMISSION_DENIED at its path."""
    arguments = root_arguments(matrix.world)
    singletons = singleton_fields()
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
        selection = _selection(field_def.type)
        if name in singletons:
            object_type = get_named_type(field_def.type)
            inner = " ".join(f + _selection(object_type.fields[f].type) for f in singletons[name])
            selection = f" {{ {inner} }}"
        text[name] = name + (f"({', '.join(args)})" if args else "") + selection
        fields[name] = permission.need
    inner_needs = [need for inner in singletons.values() for need, _ in inner.values()]
    asked = inner_asked = 0
    for persona in personas(*fields.values(), *inner_needs):
        wanted = [
            n
            for n, need in fields.items()
            if persona in personas(need)
            or any(persona in personas(i) for i, _ in singletons.get(n, {}).values())
        ]
        body = matrix.graphql(persona, "{ " + " ".join(text[n] for n in wanted) + " }")
        actor = persona.stand_in()
        for name in wanted:
            check(body, name, fields[name].allows(actor), f"Query.{name} for {persona}", name in singletons)
            asked += 1
            if not fields[name].allows(actor):
                continue
            for inner, (need, own) in singletons.get(name, {}).items():
                what = f"Query.{name}.{inner} for {persona}"
                errors = [e for e in body.get("errors") or [] if e["path"][:2] == [name, inner]]
                value = _value(body, (name, inner))
                if need.allows(actor):
                    assert not errors, f"{what}: refused: {errors}"
                    # a field of its own entry is there when allowed; under a guarded root, null is data
                    assert value is not None or not own, f"{what}: empty"
                else:
                    assert value is None, f"{what}: answered with data"
                    assert [e["extensions"].get("code") for e in errors] == ["PERMISSION_DENIED"], what
                inner_asked += 1
    assert asked >= 8 * len(fields)
    assert inner_asked >= 8 * sum(len(inner) for inner in singletons.values())


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


# Fields that show another tool's record with the record they belong to, as docs/workflow.md says:
# a visible line shows its sub job (as it shows its cost code and cost type).
SHOWN_WITH_THE_RECORD: frozenset[str] = frozenset(
    {
        "BudgetLine.subJob",
        "CommitmentLine.subJob",
        "CommitmentChangeOrder.lines.subJob",
        "DirectCost.subJob",
        "PrimeContract.lines.subJob",
        "PrimeContractChangeOrder.lines.subJob",
        "SubcontractorInvoice.lines.subJob",
    }
)


@dataclass(frozen=True)
class Crossing:
    """A field (``path`` from a record of node type ``source``, or from the object a root field
    ``Query.<name>`` answers, through objects that are not records) whose result is another node
    type, a list or a page of one."""

    source: str
    path: tuple[str, ...]
    target: str

    @property
    def name(self) -> str:
        return ".".join((self.source, *self.path))

    def query(self, gid: str | None) -> str:
        text = "{ __typename }"
        for part in reversed(self.path):
            text = f"{{ {part} {text} }}"
        if self.source.startswith("Query."):
            name = self.source.removeprefix("Query.")
            paged = "first" in GRAPHQL.query_type.fields[name].args
            return name + ("(first: 1) " if paged else " ") + text  # one record tells
        return f'node(id: "{gid}") {{ ... on {self.source} {text} }}'


def _node_target(type_) -> str | None:
    named = get_named_type(type_)
    if is_node_type(named):
        return named.name
    if is_page(named) and is_node_type(get_named_type(named.fields["nodes"].type)):
        return get_named_type(named.fields["nodes"].type).name
    return None


def _reached(type_: GraphQLObjectType, path: tuple[str, ...], seen: frozenset[str]) -> Iterator:
    for name, field_def in type_.fields.items():
        target = _node_target(field_def.type)
        named = get_named_type(field_def.type)
        if target is not None:
            yield (*path, name), target
        elif isinstance(named, GraphQLObjectType) and not is_page(named) and named.name not in seen:
            yield from _reached(named, (*path, name), seen | {named.name})


def crossings() -> dict[Crossing, tuple[Need, Need]]:
    """Every field of a node type, or of what a root field answers, that reaches records of a need
    the source's own does not imply -> (the source's need, the target's need)."""
    sources: dict[str, tuple[GraphQLObjectType, Need]] = {
        source: (GRAPHQL.type_map[source], entry.need) for source, entry in node_types().items()
    }
    for name, permission in root_fields().items():
        field_def = GRAPHQL.query_type.fields[name]
        type_ = get_named_type(field_def.type)
        required = [a for a in field_def.args.values() if isinstance(a.type, GraphQLNonNull)]
        if permission is not PerRecord and isinstance(type_, GraphQLObjectType) and not is_node_type(type_):
            sources[f"Query.{name}"] = (type_, permission.need)
            if required:  # asked without arguments below
                assert not list(_reached(type_, (), frozenset({type_.name}))), f"give Query.{name} arguments"
    found = {}
    for source, (type_, need) in sources.items():
        for path, target in _reached(type_, (), frozenset({type_.name})):
            target_need = node_types()[target].need
            users = personas(need) + personas(target_need)
            if any(need.allows(p.stand_in()) and not target_need.allows(p.stand_in()) for p in users):
                found[Crossing(source, path, target)] = (need, target_need)
    return found


def edge_personas(*needs: Need) -> list[Persona]:
    """Of ``personas(*needs)``, those at the edge of each need: NONE on its tool, and the levels on
    either side of the lowest it allows (the approver and connector privileges as the need asks)."""
    found: dict[Persona, None] = {}
    for need in needs:
        users = personas(need)
        for tool in need.tools or (None,):
            own = [p for p in users if p.tool == tool and p.approver == need.approver]
            lowest = min((p.level for p in own if need.allows(p.stand_in())), default=None)
            edge = {PermissionLevel.NONE}
            if lowest is not None:
                edge |= {lowest, PermissionLevel(max(lowest - 1, 0))}
            for persona in own:
                if persona.level in edge:
                    found[persona] = None
    return list(found)


def _leaves(value, path: tuple[str, ...]) -> list:
    """The values at the end of ``path``, through lists."""
    values = [value]
    for part in path:
        step = []
        for v in values:
            for item in v if isinstance(v, list) else [v]:
                if isinstance(item, dict):
                    step.append(item.get(part))
        values = step
    return values


def test_fields_that_reach_another_tool(matrix):
    """Every field of a record that reaches another tool's records, asked through node(id:) (or the
    root field that lists it) by the users who can see the record: answered to readers of the other
    tool, null with PERMISSION_DENIED at the field to the others (the sub job a line shows: answered
    with it)."""
    found = crossings()
    names = {c.name for c in found}
    assert {
        "Commitment.vendor",
        "Commitment.project",
        "PrimeContract.project",
        "Commitment.sync.exports",
        "Query.syncItems.nodes.project",
    } <= names
    assert names >= SHOWN_WITH_THE_RECORD, "a field shown with the record no longer reaches another tool"
    with matrix.session_factory() as s:
        needs = {}
        for crossing, (source_need, target_need) in found.items():
            entry = node_types().get(crossing.source)
            gid = matrix.world.ids.get(crossing.source)
            if entry is not None and entry.row_need is not None:
                source_need = source_need & entry.row_need(s.get(entry.model, from_global_id(gid)[1]))
            needs[crossing] = (gid, source_need, target_need)
    asked = refused = 0
    for persona in edge_personas(*(target for _, _, target in needs.values())):
        actor = persona.stand_in()
        wanted = [c for c, (_, source_need, _) in needs.items() if source_need.allows(actor)]
        if not wanted:
            continue
        for start in range(0, len(wanted), 25):  # under the server's alias limit
            batch = wanted[start : start + 25]
            aliases = {f"c{i}": c for i, c in enumerate(batch)}
            body = matrix.graphql(
                persona,
                "{ " + " ".join(f"{a}: {c.query(needs[c][0])}" for a, c in aliases.items()) + " }",
            )
            for alias, crossing in aliases.items():
                what = f"{crossing.name} for {persona}"
                node = (body.get("data") or {}).get(alias)
                assert node is not None, f"{what}: the record itself was refused: {body.get('errors')}"
                errors = [e for e in body.get("errors") or [] if e["path"][0] == alias]
                values = _leaves(node, crossing.path)
                if needs[crossing][2].allows(actor) or crossing.name in SHOWN_WITH_THE_RECORD:
                    assert not errors, f"{what}: refused: {errors}"
                    # the field was reached (a refusal is told by its error, data or none)
                    assert values, f"{what}: the record has nothing at this path"
                else:
                    assert values and all(v is None for v in values), f"{what}: answered with data: {values}"
                    codes = {e["extensions"].get("code") for e in errors}
                    assert errors and codes == {"PERMISSION_DENIED"}, f"{what}: {errors}"
                    refused += 1
                asked += 1
    assert refused >= len(found) - len(SHOWN_WITH_THE_RECORD)
    assert asked >= 2 * len(found)


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
        needs = [download.need]
        if download.record_need is not None:  # the world's import run is a budget import
            path = path.replace("{run_id}", matrix.world.ids["ImportRun"])
            needs.append(download.record_need(SimpleNamespace(kind=ImportKind.BUDGET)))
        for persona in personas(*needs):
            response = matrix.client.get(path, headers=matrix.headers(persona))
            if all(need.allows(persona.stand_in()) for need in needs):
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
    for root, inner in sorted(singleton_fields().items()):
        for name, (need, own) in sorted(inner.items()):
            if own and need != SIGNED_IN:
                lines.append(f"| `{root}.{name}` | {need.describe()} |")
    listed = {f"{type_name}.{field_name}" for type_name, field_name, _selection, _need in RECORD_FIELDS}
    for crossing, (_source, need) in sorted(crossings().items(), key=lambda item: item[0].name):
        # every record's sync { exports } alike (one row above); a page's edges as its nodes
        if crossing.path[-2:] == ("sync", "exports") or "edges" in crossing.path or crossing.name in listed:
            continue
        shown = "shown with the record" if crossing.name in SHOWN_WITH_THE_RECORD else need.describe()
        lines.append(f"| `{crossing.name.removeprefix('Query.')}` | {shown} |")
    for name in CONNECTOR_MUTATIONS:
        lines.append(f"| `{name}` | {CONNECTOR.describe()} |")
    return lines


def test_the_documented_matrix_is_the_policy():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "workflow.md").read_text()
    missing = [line for line in documented_lines() if line not in docs]
    assert not missing, "docs/workflow.md does not show:\n" + "\n".join(missing)
