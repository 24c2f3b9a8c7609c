"""Keyset pagination: a cursor holds its row's sort keys, so acknowledging, inserting or removing
rows while a client pages never makes it skip or repeat a row; garbage cursors are INVALID_CURSOR.
Also the links from a record to its exports (erpExports(recordId:), sync { exports })."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal

import pytest

from api.relay import to_global_id
from exporters.mapping import build_payload
from models import workflow as wf
from models.costs import DirectCost
from models.enums import DirectCostType, PermissionLevel, Tool
from models.sync import ErpExport
from tests import factories_workflow as f
from tests.actors import FILE_CONNECTOR, SETUP

OUTBOX_PAGE = """
query($after: String) {
  erpExports(status: PENDING, first: 1, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id header }
  }
}
"""
ACK = "mutation($id: ID!) { acknowledgeErpExport(input: {exportId: $id}) { errors { code } } }"


def accepted_commitments(session, count: int) -> list:
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    records = []
    for n in range(count):
        c = f.commitment(
            session, proj, ven, number=f"SC-{n:02d}", lines=[(concrete, sub, "1", None, None, "")]
        )
        wf.send(session, SETUP, c)
        wf.accept(session, SETUP, c, build_payload=build_payload)
        records.append(c)
    session.commit()
    return records


@pytest.fixture
def agent(gql, make_actor):
    return gql.as_(make_actor("Sync Agent", {Tool.ERP_INTEGRATIONS: PermissionLevel.ADMIN}, connector=True))


def test_an_agent_paging_the_outbox_one_at_a_time_while_acknowledging_sees_every_export_once(agent, session):
    accepted_commitments(session, 5)
    seen, after = [], None
    while True:
        page = agent.data(OUTBOX_PAGE, {"after": after})["erpExports"]
        for node in page["nodes"]:
            seen.append(node["header"]["Subcontract #"])
            assert agent.data(ACK, {"id": node["id"]})["acknowledgeErpExport"]["errors"] == []
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"SC-{n:02d}" for n in range(5)]
    assert agent.data(OUTBOX_PAGE, {"after": None})["erpExports"]["totalCount"] == 0


def test_inserting_while_paging_by_name_neither_skips_nor_repeats(gql, session, session_factory):
    f.configure(session)
    for name in ("Acme", "Acme", "Acme", "Bolt", "Crane", "Delta"):  # ties broken by id
        f.vendor(session, name)
    session.commit()
    query = (
        "query($after: String) { vendors(first: 2, after: $after) { totalCount "
        "pageInfo { hasNextPage endCursor } nodes { id name } } }"
    )
    seen, after, pages = [], None, 0
    while True:
        page = gql.data(query, {"after": after})["vendors"]
        seen.extend(node["id"] for node in page["nodes"])
        pages += 1
        if pages == 1:  # someone adds vendors before and after the cursor meanwhile
            with session_factory() as s:
                f.vendor(s, "Aardvark")
                f.vendor(s, "Acme")
                f.vendor(s, "Zulu")
                s.commit()
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen))  # nothing twice
    session.expire_all()
    vendors = session.query(f.Vendor).order_by(f.Vendor.id).all()
    gids = [to_global_id("Vendor", v.id) for v in vendors]
    assert set(gids[:6]) <= set(seen)  # every vendor that was there at the start
    assert gids[8] in seen and gids[6] not in seen  # Zulu sorts after the cursor, Aardvark before


def test_projects_page_by_number_then_id(gql, session):
    f.configure(session)
    for number in ("24-003", "24-001", "24-002"):
        f.project(session, number, f"Job {number}")
    session.commit()
    query = (
        "query($after: String) { projects(first: 1, after: $after) { pageInfo { hasNextPage endCursor "
        "hasPreviousPage } nodes { number } } }"
    )
    numbers, after = [], None
    for _ in range(3):
        page = gql.data(query, {"after": after})["projects"]
        numbers += [n["number"] for n in page["nodes"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        after = page["pageInfo"]["endCursor"]
    assert numbers == ["24-001", "24-002", "24-003"] and page["pageInfo"]["hasNextPage"] is False


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


@pytest.mark.parametrize(
    "field",
    ["projects", "vendors", "costCodes", "costTypes", "erpExports", "importRuns", "syncItems"],
)
def test_garbage_cursors_are_invalid_cursor(gql, session, field):
    f.configure(session)
    f.project(session)
    f.vendor(session)
    session.commit()
    good = gql.data(f"{{ {field}(first: 1) {{ pageInfo {{ endCursor }} }} }}")[field]["pageInfo"]["endCursor"]
    other = "vendors" if field != "vendors" else "projects"
    foreign = gql.data(f"{{ {other}(first: 1) {{ pageInfo {{ endCursor }} }} }}")[other]["pageInfo"][
        "endCursor"
    ]
    garbage = [
        "!!!",
        "b2Zmc2V0OjE=",  # an old offset cursor: offset:1
        base64.urlsafe_b64encode(b"not json").decode(),
        _cursor({"a": 1}),
        _cursor(["tag", 2**40]),
        "A" * 5000,
        foreign,
    ]
    if good:
        tag, *values = json.loads(base64.urlsafe_b64decode(good))
        garbage.append(_cursor([tag, *values[:-1], 2**40]))  # an id out of range
        garbage.append(_cursor([tag, *values[:-1], "1"]))  # an id that is not a number
    for cursor in garbage:
        if cursor is None:
            continue
        body = gql.execute(
            f"query($c: String) {{ {field}(first: 1, after: $c) {{ totalCount }} }}", {"c": cursor}
        )
        assert body["data"][field] is None, cursor
        assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR", (cursor, body)


def test_nested_direct_costs_page_by_date_and_id_while_costs_arrive(gql, session, session_factory):
    f.configure(session)
    code, ctype = f.cost_code(session, "1000.000"), f.cost_type(session)
    project = f.project(session, cost_codes=[code])
    session.commit()

    def add(day: int, n: int) -> None:
        with session_factory() as s:
            s.add(
                DirectCost(
                    project_id=project.id,
                    cost_code_id=code.id,
                    cost_type_id=ctype.id,
                    type=DirectCostType.EXPENSE,
                    item_date=dt.date(2026, 1, day),
                    description=f"cost {n}",
                    amount=Decimal("1.00"),
                    dedupe_key=f"k{n}",
                )
            )
            s.commit()

    for n, day in enumerate((5, 5, 5, 9, 12)):
        add(day, n)
    query = (
        "query($id: ID!, $after: String) { node(id: $id) { ... on Project { "
        "directCosts(first: 2, after: $after) "
        "{ totalCount pageInfo { hasNextPage endCursor } nodes { description } } } } }"
    )
    pid = to_global_id("Project", project.id)
    seen, after, pages = [], None, 0
    while True:
        page = gql.data(query, {"id": pid, "after": after})["node"]["directCosts"]
        seen += [n["description"] for n in page["nodes"]]
        pages += 1
        if pages == 1:
            add(1, 90)  # dated before the cursor: not on a later page, and nothing shifts
            add(20, 91)  # dated after: on a later page
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["cost 0", "cost 1", "cost 2", "cost 3", "cost 4", "cost 91"]
    bad = gql.execute(query, {"id": pid, "after": "garbage"})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


def test_the_queue_pages_by_keyset(gql, session):
    accepted_commitments(session, 4)
    query = (
        "query($after: String) { syncItems(statuses: [EXPORTING], first: 1, after: $after) { totalCount "
        "pageInfo { hasNextPage "
        "endCursor } nodes { label } } }"
    )
    labels, after = [], None
    while True:
        page = gql.data(query, {"after": after})["syncItems"]
        labels += [n["label"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(labels) == sorted(f"Subcontract SC-{n:02d} Concrete foundations" for n in range(4))
    assert len(labels) == 4


def test_a_records_exports_by_record_id_and_in_its_sync_block(gql, session, make_actor):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    c = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")])
    other = f.commitment(session, proj, ven, number="SC-2", lines=[(concrete, sub, "5", None, None, "")])
    for record in (c, other):
        wf.send(session, SETUP, record)
        wf.accept(session, SETUP, record, build_payload=build_payload)
    session.commit()
    first = session.query(ErpExport).filter_by(record_id=c.id).one()
    wf.fail_export(session, FILE_CONNECTOR, first.id, ["Vendor on hold"])
    wf.resend(session, SETUP, c)
    wf.accept(session, SETUP, c, build_payload=build_payload)
    session.commit()
    cid = to_global_id("Commitment", c.id)
    by_record = gql.data(
        "query($id: ID!) { erpExports(recordId: $id) { totalCount nodes { recordId status messages } } }",
        {"id": cid},
    )["erpExports"]
    assert by_record["totalCount"] == 2
    assert [(n["recordId"], n["status"], n["messages"]) for n in by_record["nodes"]] == [
        (cid, "FAILED", ["Vendor on hold"]),
        (cid, "PENDING", []),
    ]
    sync = gql.data(
        "query($id: ID!) { node(id: $id) { ... on Commitment { sync { exports { status } } } } }", {"id": cid}
    )["node"]["sync"]
    assert sync == {"exports": [{"status": "FAILED"}, {"status": "PENDING"}]}
    bad = gql.execute('{ erpExports(recordId: "bm9wZTox") { totalCount } }')
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_ID"
    # read like the outbox: a commitments reader without STANDARD on ERP Integrations sees null
    reader = gql.as_(make_actor("Rita Reader", {Tool.COMMITMENTS: PermissionLevel.READ_ONLY}))
    body = reader.execute(
        "query($id: ID!) { node(id: $id) { ... on Commitment { number sync { status exports { status } } } "
        "} }",
        {"id": cid},
    )
    assert body["data"]["node"] == {"number": "SC-001", "sync": {"status": "EXPORTING", "exports": None}}
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert (
        reader.execute("query($id: ID!) { erpExports(recordId: $id) { totalCount } }", {"id": cid})["data"][
            "erpExports"
        ]
        is None
    )


def test_cursor_values_out_of_range_are_refused_by_every_kind_of_sort_key():
    """What a cursor may hold, per key kind: integers within the 32-bit columns, finite decimals
    within Numeric(15, 2), bounded text, real dates; anything else is not one of ours."""
    from graphql import GraphQLError
    from sqlalchemy import Column, Date, Integer, Numeric, String, select, table

    from api.relay import MAX_INT, Keyset

    rows = table(
        "rows",
        Column("amount", Numeric(15, 2)),
        Column("day", Date),
        Column("name", String),
        Column("id", Integer),
    )
    keyset = Keyset.of(select(rows).order_by(rows.c.amount, rows.c.day, rows.c.name, rows.c.id))

    def cursor(*values) -> str:
        return _cursor([keyset.tag, *values])

    assert keyset.decode(cursor("-1234.56", "2026-01-31", "A", MAX_INT)) == (
        Decimal("-1234.56"),
        dt.date(2026, 1, 31),
        "A",
        MAX_INT,
    )
    bad = [
        ("NaN", "2026-01-31", "A", 1),
        ("Infinity", "2026-01-31", "A", 1),
        ("1E+15", "2026-01-31", "A", 1),
        ("-1000000000000000", "2026-01-31", "A", 1),
        ("1.00", "2026-02-30", "A", 1),
        ("1.00", "2026-01-31", "x" * 501, 1),
        ("1.00", "2026-01-31", "A", MAX_INT + 1),
        ("1.00", "2026-01-31", "A", True),
        (1, "2026-01-31", "A", 1),
    ]
    for values in bad:
        with pytest.raises(GraphQLError) as info:
            keyset.decode(cursor(*values))
        assert info.value.extensions["code"] == "INVALID_CURSOR", values
