"""Vendor list loads over HTTP: ERP-origin vendors born SYNCED, likely duplicates reported (never
merged silently), linkVendor on request."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from api.relay import to_global_id
from models.costs import DirectCost
from models.directory import Vendor, normalize_vendor_name
from models.enums import DirectCostType, Origin, SyncStatus
from models.sync import SyncEvent
from tests import files_common as f
from tests import files_job_costs as fj
from tests.factories_imports import seed, snapshot, upload

LINK = """
mutation($input: LinkVendorInput!) {
  linkVendor(input: $input) { vendor { id sync { status originId } } errors { code field message } }
}
"""


@pytest.fixture
def world(session):
    return seed(session)


def _cb_vendor(session, name="ACME Roofing LLC"):
    v = Vendor(name=name, normalized_name=normalize_vendor_name(name))
    session.add(v)
    session.commit()
    return v.id


def test_vendor_list_creates_synced_erp_vendors_with_history(client, admin, world, session):
    out = upload(client, admin, "vendors", "vendors.csv", fj.vendors_csv())
    assert out["importRun"]["counts"]["create"] == 2 and out["errors"] == []
    bolt = session.scalar(select(Vendor).where(Vendor.origin_id == "V200"))
    assert (bolt.name, bolt.address, bolt.city, bolt.state, bolt.zip) == (
        "Bolt Electric",
        "1 Main St",
        "Irvine",
        "CA",
        "92614",
    )
    assert bolt.sync_status == SyncStatus.SYNCED and bolt.origin == Origin.ERP
    events = session.scalars(select(SyncEvent).where(SyncEvent.record_id == bolt.id)).all()
    assert [(e.action, e.to_status, e.actor_name) for e in events] == [
        ("import", SyncStatus.SYNCED, "Ada Admin")
    ]


def test_sage300_insurance_columns(client, admin, world, session):
    header = [*fj.VENDOR_HEADER, "Policy Type", "Expiration Date"]
    content = f.csv_bytes([header, ["V300", "Crane Co", "", "", "", "", "General Liability", "12/31/2026"]])
    upload(client, admin, "vendors", "v.csv", content)
    crane = session.scalar(select(Vendor).where(Vendor.origin_id == "V300"))
    assert crane.insurance_policy_type == "General Liability"
    assert crane.insurance_expires_on == dt.date(2026, 12, 31)


def test_reload_updates_changed_vendors_and_leaves_the_rest(client, admin, world, session):
    upload(client, admin, "vendors", "vendors.csv", fj.vendors_csv())
    before = snapshot(session)
    same = upload(client, admin, "vendors", "vendors.csv", fj.vendors_csv())["importRun"]
    assert same["counts"]["unchanged"] == 2 and snapshot(session) == before
    moved = [["V200", "Bolt Electric", "9 New Rd", "Irvine", "CA", "92614"], fj.VENDORS[1]]
    run = upload(client, admin, "vendors", "vendors.csv", fj.vendors_csv(moved))["importRun"]
    assert run["counts"]["update"] == 1 and run["counts"]["unchanged"] == 1
    session.expire_all()
    assert session.scalar(select(Vendor.address).where(Vendor.origin_id == "V200")) == "9 New Rd"


def test_likely_duplicate_is_reported_not_merged_then_linked_on_request(client, admin, world, session, gql):
    cb_id = _cb_vendor(session)
    out = upload(client, admin, "vendors", "vendors.csv", fj.vendors_csv())
    warnings = out["importRun"]["warnings"]
    assert [(w["row"], w["code"]) for w in warnings] == [(3, "POSSIBLE_DUPLICATE_VENDOR")]
    assert "ACME Roofing LLC" in warnings[0]["message"]
    erp_id = session.scalar(select(Vendor.id).where(Vendor.origin_id == "V201"))
    assert session.scalar(select(Vendor.origin_id).where(Vendor.id == cb_id)) is None

    linked = gql.data(
        LINK,
        {"input": {"vendorId": to_global_id("Vendor", cb_id), "erpVendorId": to_global_id("Vendor", erp_id)}},
    )["linkVendor"]
    assert linked == {
        "vendor": {"id": to_global_id("Vendor", cb_id), "sync": {"status": "SYNCED", "originId": "V201"}},
        "errors": [],
    }
    session.expire_all()
    cb = session.get(Vendor, cb_id)
    assert (cb.origin_id, cb.sync_status, cb.origin) == ("V201", SyncStatus.SYNCED, Origin.COSTBRIDGE)
    assert session.get(Vendor, erp_id) is None
    assert session.scalar(select(SyncEvent.action).where(SyncEvent.record_id == cb_id)) == "link"
    # the next load updates the linked CostBridge vendor instead of creating a new one
    again = upload(client, admin, "vendors", "vendors.csv", fj.vendors_csv())["importRun"]
    assert again["counts"]["create"] == 0


def test_link_is_refused_while_the_erp_row_is_in_use(client, admin, world, session, gql):
    cb_id = _cb_vendor(session, "Acme Concrete")
    session.add(
        DirectCost(
            project_id=world.project_id,
            cost_code_id=world.codes["01-100"],
            cost_type_id=world.types["1"],
            type=DirectCostType.INVOICE,
            item_date=dt.date(2026, 1, 5),
            amount=5,
            vendor_id=world.vendor_id,
            dedupe_key="k1",
        )
    )
    session.commit()
    before = snapshot(session)
    out = gql.data(
        LINK,
        {
            "input": {
                "vendorId": to_global_id("Vendor", cb_id),
                "erpVendorId": to_global_id("Vendor", world.vendor_id),
            }
        },
    )["linkVendor"]
    assert out["vendor"] is None
    assert out["errors"][0]["code"] == "VENDOR_IN_USE" and out["errors"][0]["field"] == "erpVendorId"
    assert snapshot(session) == before
    session.expire_all()
    assert session.get(Vendor, cb_id).origin_id is None
