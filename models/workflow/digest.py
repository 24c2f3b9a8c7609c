"""The approver's daily digest: what awaits acceptance grouped by record type, oldest first, with
how long each has waited and each record's global ID, and its plain-text form (what
``costbridge digest`` prints and the digest e-mail carries). Records sent while ERP direct exports
were on never wait for an approver, so the digest leaves them out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import registry
from models.base import utcnow
from models.enums import RecordType, SyncStatus
from models.policy import Actor
from models.projects import Project
from models.registry import load_records
from models.users import User
from models.workflow.queue import queue_counts, queue_query

S = SyncStatus


@dataclass
class DigestItem:
    record_type: RecordType
    record_id: int
    label: str
    project_number: str | None
    project_name: str | None
    sent_at: dt.datetime
    sent_by: str | None
    waiting: dt.timedelta
    record: Any = None

    @property
    def global_id(self) -> str:
        """The record's ID as the API and the front end know it."""
        return registry.global_id(self.record_type, self.record_id)


@dataclass
class DigestGroup:
    record_type: RecordType
    items: list[DigestItem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def longest_wait(self) -> dt.timedelta:
        return max((i.waiting for i in self.items), default=dt.timedelta(0))


@dataclass
class Digest:
    generated_at: dt.datetime
    groups: list[DigestGroup]
    failed_count: int

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups)


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes (stored as UTC)
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def approval_digest(session: Session, actor: Actor, now: dt.datetime | None = None) -> Digest:
    """Everything awaiting acceptance that the actor may see, grouped by record type (in registry
    order), oldest first, with how long each has waited; plus how many exports failed."""
    now = now or utcnow()
    _, stmt = queue_query(actor, statuses=[S.READY_TO_EXPORT])
    rows = session.execute(stmt).all()
    records = load_records(session, [(r.record_type, r.record_id) for r in rows])
    project_ids = {r.project_id for r in rows if r.project_id is not None}
    projects = (
        {p.id: p for p in session.scalars(select(Project).where(Project.id.in_(project_ids)))}
        if project_ids
        else {}
    )
    sender_ids = {r.sent_by_id for r in records.values() if r.sent_by_id is not None}
    users = (
        {
            uid: name
            for uid, name in session.execute(select(User.id, User.name).where(User.id.in_(sender_ids)))
        }
        if sender_ids
        else {}
    )
    groups: dict[RecordType, DigestGroup] = {}
    for row in rows:
        record = records[(row.record_type, row.record_id)]
        project = projects.get(row.project_id)
        sent_at = _aware(record.sent_at or record.created_at)
        rt = RecordType(row.record_type)
        groups.setdefault(rt, DigestGroup(rt)).items.append(
            DigestItem(
                record_type=rt,
                record_id=record.id,
                label=registry.label_of(record),
                project_number=project.number if project else None,
                project_name=project.name if project else None,
                sent_at=sent_at,
                sent_by=users.get(record.sent_by_id),
                waiting=max(now - sent_at, dt.timedelta(0)),
                record=record,
            )
        )
    ordered = [groups[e.record_type] for e in registry.specs() if e.record_type in groups]
    for group in ordered:
        group.items.sort(key=lambda i: (i.sent_at, i.record_id))
    failed = queue_counts(session, actor)[S.FAILED_TO_EXPORT]
    return Digest(generated_at=now, groups=ordered, failed_count=failed)


def format_wait(waiting: dt.timedelta) -> str:
    minutes = int(waiting.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"


def digest_text(digest: Digest) -> str:
    """The digest as the plain text of the approver's daily summary."""
    lines = [f"CostBridge approval digest, {digest.generated_at:%Y-%m-%d %H:%M} UTC"]
    if not digest.groups:
        lines.append("Nothing is waiting for acceptance.")
    else:
        lines.append(f"{digest.total} item(s) waiting for acceptance:")
    for group in digest.groups:
        lines.append("")
        lines.append(f"{group.record_type.value.replace('_', ' ').title()} ({group.count})")
        for item in group.items:
            where = f" [{item.project_number}]" if item.project_number else ""
            who = f", sent by {item.sent_by}" if item.sent_by else ""
            lines.append(
                f"  - {item.label}{where}: waiting {format_wait(item.waiting)}{who} (id {item.global_id})"
            )
    if digest.failed_count:
        lines.append("")
        lines.append(
            f"{digest.failed_count} record(s) failed to export and wait for the sender to resend them."
        )
    return "\n".join(lines) + "\n"
