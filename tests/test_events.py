"""Change notices (``models.events``) on both databases: published when the transaction commits and
never when it rolls back, whichever code path made the change (workflow transitions, the outbox,
token revocation); records born synced are not announced; on PostgreSQL another connection that
LISTENs hears them only after the commit; the token cache forgets a revoked user at once."""

from __future__ import annotations

import json

import psycopg
import pytest

from api.relay import to_global_id
from api.serving.tokens import TokenCache
from api.subscriptions.fields import SyncStatusChange, sync_visible
from exporters.mapping import build_payload
from models import events, registry, workflow
from models.enums import ErpSystem, PermissionLevel, SyncStatus, Tool
from models.events import CHANNEL, Notice, NoticeKind
from models.policy import ALL_ADMIN, SYNC_STATUS_EVENTS, SystemActor
from models.sync import mark_born_synced
from models.users import create_user, issue_token, revoke_tokens
from tests.actors import FILE_CONNECTOR, SETUP
from tests.factories_workflow import (
    configure,
    prime_change_order,
    prime_contract,
    project,
    synced_world,
    vendor,
)


@pytest.fixture
def heard(engine):
    found: list[Notice] = []
    remove = events.add_listener(engine, found.extend)
    yield found
    remove()


def test_a_transition_is_announced_after_commit_only(session, heard):
    configure(session)
    row = project(session)
    session.commit()
    workflow.send(session, SETUP, row)
    session.flush()
    assert heard == []  # not yet committed
    session.rollback()
    assert heard == []  # and never: it was rolled back

    workflow.send(session, SETUP, row)
    session.commit()
    (notice,) = heard
    assert (notice.kind, notice.record_type, notice.id) == (NoticeKind.SYNC, "PROJECT", row.id)
    assert (notice.status, notice.project_id) == ("READY_TO_EXPORT", row.id)
    assert notice.event_id is not None and Notice.decode(notice.encode()) == notice

    heard.clear()
    export = workflow.accept(session, SETUP, row, build_payload=build_payload, origin_id="J-1")
    session.commit()
    assert [(n.kind, n.status) for n in heard] == [
        (NoticeKind.SYNC, "EXPORTING"),
        (NoticeKind.OUTBOX, "PENDING"),
    ]
    heard.clear()
    workflow.mark_delivered(session, FILE_CONNECTOR, export, "file", "x.csv")
    session.commit()
    assert [(n.kind, n.id, n.status) for n in heard] == [(NoticeKind.OUTBOX, export.id, "DELIVERED")]
    heard.clear()
    workflow.acknowledge_export(session, FILE_CONNECTOR, export.id)
    session.commit()
    assert [(n.kind, n.status) for n in heard] == [
        (NoticeKind.SYNC, "SYNCED"),
        (NoticeKind.OUTBOX, "ACKNOWLEDGED"),
    ]


def test_records_born_synced_are_not_announced(session, heard):
    row = vendor(session, "Born Supply")
    mark_born_synced(session, row, "V-9", SETUP)
    session.commit()
    assert row.sync_status == SyncStatus.SYNCED and heard == []


def test_revoking_a_token_makes_the_cache_forget_its_user(session, engine):
    cache = TokenCache(ttl_seconds=3600)
    remove = events.add_listener(engine, cache.on_notices)
    try:
        person = create_user(session, SETUP, name="Tess", email="tess@example.com", levels=ALL_ADMIN)
        token = issue_token(session, SETUP, person)
        session.commit()
        assert cache.sign_in(session, token).email == "tess@example.com"
        assert cache.sign_in(session, token) is not None  # remembered
        revoke_tokens(session, SETUP, person)
        assert cache.sign_in(session, token) is not None  # not committed: still signs in
        session.commit()
        assert cache.sign_in(session, token) is None
    finally:
        remove()


@pytest.mark.only_backend("postgresql")
def test_postgresql_listeners_hear_notices_after_commit(session, engine):
    _args, params = engine.dialect.create_connect_args(engine.url)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        configure(session)
        row = project(session)
        session.commit()
        workflow.send(session, SETUP, row)
        session.flush()
        assert list(listener.notifies(timeout=0.5)) == []
        session.commit()
        (message,) = list(listener.notifies(timeout=2, stop_after=1))
        body = json.loads(message.payload)
        assert (body["k"], body["t"], body["i"], body["s"]) == ("sync", "PROJECT", row.id, "READY_TO_EXPORT")
        assert len(message.payload) < 200


def test_a_prime_contract_change_order_is_announced_to_prime_contract_readers_only(session, heard):
    """A PCCO goes through the workflow like any record: its three transitions are announced with its
    project, and only a reader of Prime Contract may hear them."""
    proj, _ven, concrete, _rebar, sub, _mat = synced_world(session, ErpSystem.SAGE_300_CRE)
    contract = prime_contract(session, proj, items=[("1", concrete, sub, "1000.00")])
    pcco = prime_change_order(session, contract, lines=[(concrete, sub, "250.00", None, None, "Footing")])
    session.commit()
    heard.clear()

    workflow.send(session, SETUP, pcco)
    session.commit()
    export = workflow.accept(session, SETUP, pcco, build_payload=build_payload)
    session.commit()
    workflow.mark_delivered(session, FILE_CONNECTOR, export, "file", "pcco.csv")
    session.commit()
    workflow.acknowledge_export(session, FILE_CONNECTOR, export.id)
    session.commit()

    changes = [n for n in heard if n.kind is NoticeKind.SYNC]
    assert [(n.record_type, n.id, n.project_id, n.status) for n in changes] == [
        ("PRIME_CONTRACT_CHANGE_ORDER", pcco.id, proj.id, status)
        for status in ("READY_TO_EXPORT", "EXPORTING", "SYNCED")
    ]
    # the subscription answers with the record as its own node type
    assert SyncStatusChange.from_notice(changes[0]).record_id == to_global_id(
        "PrimeContractChangeOrder", pcco.id
    )
    everything_but = SystemActor(
        "t", {tool: PermissionLevel.ADMIN for tool in Tool if tool is not Tool.PRIME_CONTRACTS}
    )
    reader = SystemActor("t", {Tool.PRIME_CONTRACTS: PermissionLevel.READ_ONLY})
    assert SYNC_STATUS_EVENTS.allows(reader)
    assert [sync_visible(n, reader) for n in changes] == [True, True, True]
    assert [sync_visible(n, everything_but) for n in changes] == [False, False, False]


def test_every_tool_with_syncable_records_may_watch_sync_status():
    tools = {spec.tool for spec in registry.specs()}
    for tool in tools:
        assert SYNC_STATUS_EVENTS.allows(SystemActor("t", {tool: PermissionLevel.READ_ONLY})), tool
