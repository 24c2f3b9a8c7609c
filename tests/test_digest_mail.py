"""The approvers' digest by e-mail, delivered to a real SMTP server the test starts on loopback
(aiosmtpd): one message per approver listing exactly the items that approver may decide on, with
IDs and ages, plain text and HTML; the daily schedule of the connector process; the command line."""

from __future__ import annotations

import datetime as dt
import email
import socket
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app as cli
from exporters.digest_mail import MailConfig, send_digests, send_due_digest
from models import workflow
from models.company import CompanySettings
from models.enums import PermissionLevel, Tool
from models.erp import update_erp_settings
from models.errors import DomainError, ErrorCode
from models.policy import COMMAND_LINE
from models.registry import global_id
from tests import factories_workflow as f

A, S, R = PermissionLevel.ADMIN, PermissionLevel.STANDARD, PermissionLevel.READ_ONLY


class Inbox:
    """Keeps every message the server accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> EmailMessage:
        [message] = [m for rcpt, m in self.messages if rcpt == [address]]
        return message


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def world(session, smtp):
    _inbox, port = smtp
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    sc = f.commitment(session, proj, ven, number="SC-1", lines=[(concrete, sub, "500.00", None, None, "")])
    vendor = f.vendor(session, "Bolt Electric")
    pm = f.pm(session)
    workflow.send(session, pm, sc)
    workflow.send(session, pm, vendor)
    approvers = {
        # every record tool: both items
        "all": f.user(session, "Alex All", {t: R for t in Tool} | {Tool.ERP_INTEGRATIONS: S}, approver=True),
        # the Directory only: the vendor
        "vendors": f.user(
            session, "Val Vendors", {Tool.ERP_INTEGRATIONS: A, Tool.DIRECTORY: R}, approver=True
        ),
        # nothing of what is waiting: no message
        "invoices": f.user(
            session, "Ivy Invoices", {Tool.ERP_INTEGRATIONS: S, Tool.INVOICES: R}, approver=True
        ),
    }
    # neither an approver nor an active one: never mailed
    f.user(session, "Nora Noprivilege", {t: R for t in Tool} | {Tool.ERP_INTEGRATIONS: S})
    gone = f.user(session, "Dee Disabled", {t: R for t in Tool} | {Tool.ERP_INTEGRATIONS: S}, approver=True)
    gone.active = False
    update_erp_settings(
        session,
        COMMAND_LINE,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="NONE",
        mail_sender="costbridge@pacificridge.example",
    )
    session.commit()
    return {"sc": sc, "vendor": vendor, **approvers}


def test_one_message_per_approver_listing_exactly_their_pending_items(session, world, smtp):
    inbox, _port = smtp
    sent_at = dt.datetime.now(dt.UTC)
    delivery = send_digests(session, COMMAND_LINE, now=sent_at + dt.timedelta(days=2, hours=3))
    everyone, vendors_only = world["all"].email, world["vendors"].email
    assert delivery.sent == {everyone: 2, vendors_only: 1}
    assert delivery.skipped == [world["invoices"].email] and delivery.failed == {}
    assert sorted(rcpt[0] for rcpt, _ in inbox.messages) == sorted([everyone, vendors_only])

    sc_id = global_id("COMMITMENT", world["sc"].id)
    vendor_id = global_id("VENDOR", world["vendor"].id)
    message = inbox.to(everyone)
    assert message["Subject"].startswith("CostBridge: 2 items waiting for acceptance")
    assert message["From"] == "CostBridge <costbridge@pacificridge.example>"
    assert message["To"] == f"Alex All <{everyone}>"
    text = message.get_body(("plain",)).get_content()
    assert "Hello Alex All," in text
    assert (
        f"Subcontract SC-1 Concrete foundations [24-001]: waiting 2d 3h, sent by Pat Manager (id {sc_id})"
        in text
    )
    assert f"Bolt Electric: waiting 2d 3h, sent by Pat Manager (id {vendor_id})" in text
    html = message.get_body(("html",)).get_content()
    assert f"<code>{sc_id}</code>" in html and "<td>2d 3h</td>" in html and "Bolt Electric" in html

    only_vendor = inbox.to(vendors_only)
    assert only_vendor["Subject"].startswith("CostBridge: 1 item waiting")
    body = only_vendor.get_body(("plain",)).get_content()
    assert vendor_id in body and sc_id not in body and "Subcontract" not in body


def test_the_connector_sends_it_once_a_day_from_its_hour(session_factory, world, smtp):
    inbox, port = smtp
    with session_factory() as s:
        update_erp_settings(s, COMMAND_LINE, digest_enabled=True, digest_hour_utc=7)
        s.commit()
    day = dt.datetime.now(dt.UTC).replace(hour=6, minute=30, second=0, microsecond=0)
    assert send_due_digest(session_factory, now=day) is None  # before the hour
    first = send_due_digest(session_factory, now=day + dt.timedelta(hours=1))
    assert first is not None and len(first.sent) == 2 and len(inbox.messages) == 2
    assert send_due_digest(session_factory, now=day + dt.timedelta(hours=5)) is None  # once a day
    with session_factory() as s:
        assert s.get(CompanySettings, 1).digest_last_sent_on == day.date()

    # the next day the server is down: refused, and the day is given back for a later run
    with session_factory() as s:
        update_erp_settings(s, COMMAND_LINE, smtp_port=free_port())
        s.commit()
    tomorrow = day + dt.timedelta(days=1, hours=2)
    with pytest.raises(DomainError) as down:
        send_due_digest(session_factory, now=tomorrow)
    assert down.value.code == ErrorCode.MAIL_DELIVERY_FAILED
    with session_factory() as s:
        assert s.get(CompanySettings, 1).digest_last_sent_on == day.date()
    with session_factory() as s:
        update_erp_settings(s, COMMAND_LINE, smtp_port=port)
        s.commit()
    assert send_due_digest(session_factory, now=tomorrow) is not None and len(inbox.messages) == 4


def test_environment_settings_win_and_the_password_is_never_stored(session, world, smtp):
    settings = session.scalar(select(CompanySettings))
    config = MailConfig.resolve(
        settings,
        {
            "COSTBRIDGE_SMTP_HOST": "mail.example.com",
            "COSTBRIDGE_SMTP_PASSWORD": "s3cret",
            "COSTBRIDGE_SMTP_SECURITY": "ssl",
        },
    )
    assert (config.host, config.security, config.sender, config.password_set) == (
        "mail.example.com",
        "SSL",
        "costbridge@pacificridge.example",
        True,
    )
    assert "s3cret" not in repr(config)
    assert not any("password" in column.name for column in CompanySettings.__table__.columns)
    unset = MailConfig.resolve(CompanySettings(smtp_security="STARTTLS"), {})
    with pytest.raises(DomainError) as missing:
        send_digests(session, COMMAND_LINE, unset)
    assert missing.value.code == ErrorCode.MAIL_NOT_CONFIGURED


def test_costbridge_digest_send(engine, world, smtp):
    inbox, port = smtp
    env = {
        "COSTBRIDGE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "COSTBRIDGE_SMTP_PORT": str(port),
    }
    result = CliRunner().invoke(cli, ["digest", "--send"], env=env)
    assert result.exit_code == 0, result.output
    assert (
        f"digest sent to {world['all'].email} (2 item(s)), {world['vendors'].email} (1 item(s))"
        in result.output
    )
    assert f"nothing waiting for {world['invoices'].email}" in result.output
    assert len(inbox.messages) == 2
    printed = CliRunner().invoke(cli, ["digest"], env=env)
    assert printed.exit_code == 0 and "2 item(s) waiting for acceptance" in printed.output


def test_the_digest_and_the_connector_lease_never_wait_for_each_other(session_factory, world, smtp, tmp_path):
    """The connector process runs the digest after each connector run, outside the run's lease, with
    its own day claim: while another process holds the lease the digest still goes out, once; the
    digest neither takes nor frees the lease; and the day claim never keeps a run from the lease."""
    import threading
    import time

    from exporters.connectors.file import LEASE, run_file_connector
    from exporters.connectors.scheduler import start_file_connector
    from models.base import utcnow
    from models.delivery import acquire_lease, lease_of, release_lease

    inbox, _port = smtp
    with session_factory() as s:
        update_erp_settings(s, COMMAND_LINE, digest_enabled=True, digest_hour_utc=0)
        s.commit()
    assert acquire_lease(session_factory, LEASE, "another-process", 300, utcnow())

    runs, errors, enough = [], [], threading.Event()

    def on_run(run):
        runs.append(run)
        if len(runs) >= 3:
            enough.set()

    scheduler = start_file_connector(session_factory, 0.05, tmp_path, on_run=on_run, on_error=errors.append)
    try:
        assert enough.wait(30)
    finally:
        scheduler.stop()
    assert errors == [] and all(run.skipped for run in runs)
    assert len(inbox.messages) == 2  # one per approver with items, once for the day
    with session_factory() as s:
        assert s.get(CompanySettings, 1).digest_last_sent_on == utcnow().date()
        assert lease_of(s, LEASE).holder == "another-process"

    # the other process gives the lease back: the next run takes it, the digest is not sent again
    release_lease(session_factory, LEASE, "another-process", utcnow())
    started = time.monotonic()
    run = run_file_connector(session_factory, tmp_path)
    assert run.skipped is None and run.errors == [] and time.monotonic() - started < 10
    assert send_due_digest(session_factory) is None and len(inbox.messages) == 2
