"""Two approvers accepting the same record at the same moment produce exactly one export."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from api.errors import run_in_transaction
from exporters.mapping import build_payload
from models import workflow as wf
from models.commitments import Commitment
from models.enums import RecordType, SyncStatus
from models.errors import ErrorCode
from models.sync import ErpExport, SyncEvent
from models.users import User
from tests import factories_workflow as f
from tests.actors import SETUP


def sent_commitment(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    c = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")])
    wf.send(session, SETUP, c)
    approvers = [f.approver(session).id, f.approver(session).id]
    session.commit()
    return c.id, approvers


@pytest.mark.only_backend("postgresql")
def test_concurrent_accepts_create_exactly_one_export(session, session_factory):
    cid, approvers = sent_commitment(session)
    barrier = threading.Barrier(2)
    outcomes: list = []

    def approve(user_id: int) -> None:
        s = session_factory()
        try:
            user = s.get(User, user_id)
            record = s.get(Commitment, cid)
            assert record.sync_status == SyncStatus.READY_TO_EXPORT  # both read it before deciding
            barrier.wait(timeout=30)
            export, errors = run_in_transaction(
                s, lambda s: wf.accept(s, user, record, build_payload=build_payload)
            )
            outcomes.append(("ok", export.id) if export else ("refused", errors[0].code, errors[0].message))
        finally:
            s.close()

    threads = [threading.Thread(target=approve, args=(uid,)) for uid in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(o[0] for o in outcomes) == ["ok", "refused"]
    refused = next(o for o in outcomes if o[0] == "refused")
    assert refused[1] == ErrorCode.INVALID_STATUS_TRANSITION
    assert "EXPORTING" in refused[2]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ErpExport)) == 1
    accepts = session.scalar(select(func.count()).where(SyncEvent.action == "accept"))
    assert accepts == 1
    assert session.get(Commitment, cid).sync_status == SyncStatus.EXPORTING


def test_open_key_allows_one_open_export_per_record(session):
    cid, _ = sent_commitment(session)
    record = session.get(Commitment, cid)
    wf.accept(session, SETUP, record, build_payload=build_payload)
    session.commit()
    session.add(
        ErpExport(
            record_type=RecordType.COMMITMENT,
            record_id=cid,
            open_key=f"COMMITMENT:{cid}",
            erp_system="SAGE_100_CONTRACTOR",
            erp_entity="Subcontract",
            payload={},
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ErpExport)) == 1
