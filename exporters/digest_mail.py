"""The approvers' digest by e-mail: one message per accounting approver listing exactly the items
that approver may decide on (``models.workflow.approval_digest`` as that approver), each with its
ID and how long it has waited, as plain text with an HTML alternative, sent over SMTP.

Mail settings come from the company settings (``updateErpSettings``), each overridden by the
environment when set: ``COSTBRIDGE_SMTP_HOST``, ``COSTBRIDGE_SMTP_PORT``,
``COSTBRIDGE_SMTP_SECURITY`` (NONE, STARTTLS, SSL), ``COSTBRIDGE_SMTP_USERNAME``,
``COSTBRIDGE_MAIL_SENDER``. The password is read from ``COSTBRIDGE_SMTP_PASSWORD`` only and never
stored.

``send_digests`` sends now (``costbridge digest --send``); ``send_due_digest`` is the daily
schedule the connector process runs: once a day, from the configured hour (UTC), claimed in the
database so that two connector processes never both send it.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.audit import acting_factory
from models.base import utcnow
from models.company import CompanySettings, get_settings
from models.db import transaction
from models.errors import DomainError, ErrorCode
from models.policy import DIGEST_DELIVERY, Actor, connector, is_accounting_approver, require
from models.users import User
from models.workflow import Digest, approval_digest, digest_text, format_wait

log = logging.getLogger("costbridge.digest")

# the actor the scheduled digest runs as (ADMIN on ERP Integrations, as a connector)
DIGEST_SENDER = connector("digest")
SECURITY = ("NONE", "STARTTLS", "SSL")
DEFAULT_PORTS = {"NONE": 25, "STARTTLS": 587, "SSL": 465}


@dataclass(frozen=True)
class MailConfig:
    host: str | None
    port: int
    security: str
    username: str | None
    password: str | None = field(repr=False)
    sender: str | None
    timeout: float = 30.0

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)

    @property
    def password_set(self) -> bool:
        return bool(self.password)

    @classmethod
    def resolve(cls, settings: CompanySettings, environ: Mapping[str, str] | None = None) -> MailConfig:
        """The company's mail settings, each overridden by its environment variable when set."""
        env = os.environ if environ is None else environ

        def pick(name: str, stored: str | None) -> str | None:
            value = (env.get(name) or "").strip()
            return value or stored

        security = (pick("COSTBRIDGE_SMTP_SECURITY", settings.smtp_security) or "STARTTLS").upper()
        if security not in SECURITY:
            raise DomainError(
                ErrorCode.MAIL_NOT_CONFIGURED,
                f"COSTBRIDGE_SMTP_SECURITY '{security}' is not one of {', '.join(SECURITY)}",
            )
        port_text = pick("COSTBRIDGE_SMTP_PORT", None)
        try:
            port = int(port_text) if port_text else settings.smtp_port or DEFAULT_PORTS[security]
        except ValueError:
            raise DomainError(
                ErrorCode.MAIL_NOT_CONFIGURED, f"COSTBRIDGE_SMTP_PORT '{port_text}' is not a port number"
            ) from None
        return cls(
            host=pick("COSTBRIDGE_SMTP_HOST", settings.smtp_host),
            port=port,
            security=security,
            username=pick("COSTBRIDGE_SMTP_USERNAME", settings.smtp_username),
            password=env.get("COSTBRIDGE_SMTP_PASSWORD") or None,
            sender=pick("COSTBRIDGE_MAIL_SENDER", settings.mail_sender),
        )


# --- the message ---------------------------------------------------------------------------------


def _subject(digest: Digest) -> str:
    count, day = digest.total, f"{digest.generated_at:%Y-%m-%d}"
    return f"CostBridge: {count} item{'s' if count != 1 else ''} waiting for acceptance ({day})"


def digest_html(digest: Digest, approver_name: str, company: str) -> str:
    """The digest as an HTML page: a table per record type with each item's ID and wait."""
    e = html.escape
    parts = [
        '<!DOCTYPE html><html><body style="font-family: sans-serif">',
        f"<p>Hello {e(approver_name)},</p>",
        f"<p>{digest.total} item(s) of {e(company)} wait for your acceptance "
        f"({digest.generated_at:%Y-%m-%d %H:%M} UTC).</p>",
    ]
    for group in digest.groups:
        title = group.record_type.value.replace("_", " ").title()
        parts.append(f"<h3>{e(title)} ({group.count})</h3>")
        parts.append(
            '<table border="1" cellpadding="4" cellspacing="0"><tr><th>Item</th><th>Project</th>'
            "<th>Waiting</th><th>Sent by</th><th>ID</th></tr>"
        )
        for item in group.items:
            project = (
                f"{item.project_number} {item.project_name or ''}".strip() if item.project_number else ""
            )
            parts.append(
                f"<tr><td>{e(item.label)}</td><td>{e(project)}</td><td>{e(format_wait(item.waiting))}</td>"
                f"<td>{e(item.sent_by or '')}</td><td><code>{e(item.global_id)}</code></td></tr>"
            )
        parts.append("</table>")
    if digest.failed_count:
        parts.append(
            f"<p>{digest.failed_count} record(s) failed to export and wait for the sender to resend them.</p>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def compose(digest: Digest, approver: User, config: MailConfig, company: str) -> EmailMessage:
    """One approver's message: the plain-text digest, with the HTML table as the alternative."""
    message = EmailMessage()
    message["Subject"] = _subject(digest)
    message["From"] = formataddr(("CostBridge", config.sender or ""))
    message["To"] = formataddr((approver.name, approver.email))
    message["Message-ID"] = make_msgid(domain=(config.sender or "costbridge").partition("@")[2] or None)
    message.set_content(f"Hello {approver.name},\n\n" + digest_text(digest))
    message.add_alternative(digest_html(digest, approver.name, company), subtype="html")
    return message


# --- sending -------------------------------------------------------------------------------------


@dataclass
class DigestDelivery:
    """What one digest run did: who got a message (with their item count), who was skipped
    (nothing pending), and who could not be reached (with the reason)."""

    sent: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


def approvers(session: Session) -> list[User]:
    """Every active accounting approver with an e-mail address, by name."""
    users = session.scalars(
        select(User).where(User.active.is_(True), User.can_push_to_accounting.is_(True)).order_by(User.name)
    ).all()
    return [u for u in users if u.email and is_accounting_approver(u)]


def _connect(config: MailConfig) -> smtplib.SMTP:
    assert config.host is not None
    if config.security == "SSL":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        if config.security == "STARTTLS":
            client.starttls(context=ssl.create_default_context())
    if config.username and config.password:
        client.login(config.username, config.password)
    return client


def send_digests(
    session: Session,
    actor: Actor,
    config: MailConfig | None = None,
    now: dt.datetime | None = None,
) -> DigestDelivery:
    """E-mail every accounting approver the items waiting for them now (ADMIN on ERP Integrations).
    Approvers with nothing waiting get no message. MAIL_NOT_CONFIGURED without a server and sender;
    MAIL_DELIVERY_FAILED when the server cannot be reached at all."""
    require(actor, DIGEST_DELIVERY, "Sending the approval digest")
    settings = get_settings(session)
    config = config or MailConfig.resolve(settings)
    if not config.configured:
        raise DomainError(
            ErrorCode.MAIL_NOT_CONFIGURED,
            "No mail server or sender is set: set smtpHost and mailSender (updateErpSettings) or "
            "COSTBRIDGE_SMTP_HOST and COSTBRIDGE_MAIL_SENDER",
        )
    now = now or utcnow()
    delivery = DigestDelivery()
    messages: list[tuple[str, EmailMessage, int]] = []
    for approver in approvers(session):
        digest = approval_digest(session, approver, now)
        if not digest.total:
            delivery.skipped.append(approver.email)
            continue
        messages.append((approver.email, compose(digest, approver, config, settings.name), digest.total))
    if not messages:
        return delivery
    try:
        client = _connect(config)
    except (OSError, smtplib.SMTPException) as exc:
        raise DomainError(
            ErrorCode.MAIL_DELIVERY_FAILED,
            f"Could not reach the mail server {config.host}:{config.port}: {exc.__class__.__name__}",
        ) from None
    try:
        for email, message, count in messages:
            try:
                client.send_message(message)
                delivery.sent[email] = count
            except smtplib.SMTPException as exc:
                delivery.failed[email] = f"{exc.__class__.__name__}: {exc}"
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    return delivery


def send_due_digest(
    factory: sessionmaker[Session], now: dt.datetime | None = None, environ: Mapping[str, str] | None = None
) -> DigestDelivery | None:
    """The daily schedule: when the digest is on, configured, the day's hour has come and today's
    digest has not gone out, claim today (committed first, so one process sends it) and send it.
    Returns None when nothing was due. When the server cannot be reached, the claim is given back
    so a later run retries."""
    now = now or utcnow()
    today = now.date()
    factory = acting_factory(factory, DIGEST_SENDER)
    with transaction(factory) as session:
        settings = session.scalar(
            select(CompanySettings).where(CompanySettings.id == 1).with_for_update()
        ) or get_settings(session)
        if not settings.digest_enabled or now.hour < settings.digest_hour_utc:
            return None
        if settings.digest_last_sent_on is not None and settings.digest_last_sent_on >= today:
            return None
        config = MailConfig.resolve(settings, environ)
        if not config.configured:
            log.warning("the approval digest is on but no mail server or sender is set")
            return None
        previous = settings.digest_last_sent_on
        settings.digest_last_sent_on = today
    try:
        with factory() as session:
            delivery = send_digests(session, DIGEST_SENDER, config, now)
    except DomainError:
        with transaction(factory) as session:
            settings = get_settings(session)
            if settings.digest_last_sent_on == today:
                settings.digest_last_sent_on = previous
        raise
    log.info(
        "approval digest sent to %s; skipped %s; failed %s", delivery.sent, delivery.skipped, delivery.failed
    )
    return delivery
