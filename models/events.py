"""Change notices, published only once the change is committed: a record's sync status moved (a new
SyncEvent), an outbox row appeared or changed status, a user's tokens or permissions changed, an
import made progress. Subscribers (the API's GraphQL subscriptions, its token cache) receive them.

A notice is small (kinds, ids, a status): whoever receives one re-reads what it names under its own
permissions. Three ways a notice travels:

- **Collected on the session** (``publish``, and a flush listener that sees every SyncEvent and
  ErpExport row written, whichever code path wrote it): held until the transaction commits and
  dropped if it rolls back. On PostgreSQL they are sent with ``pg_notify`` inside the committing
  transaction (PostgreSQL delivers them only if it commits); on every backend they are also handed
  to this process's listeners just after the commit.
- **Live** (``publish_live``: an import's progress, which is not database state): handed to this
  process's listeners at once and, on PostgreSQL, sent by the caller on a connection of its own.
- **Received** from another process (the API's LISTEN connection) and handed to its listeners.

Each notice carries the process it came from (``origin``), so a process that hears its own
notifications through LISTEN skips them: it already delivered them itself.
"""

from __future__ import annotations

import enum
import json
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

CHANNEL = "costbridge_events"
# this process, as notices name their origin
ORIGIN = secrets.token_hex(6)
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; ours are a few dozen
MAX_PAYLOAD_BYTES = 7900

_PENDING = "costbridge_pending_notices"


class NoticeKind(enum.StrEnum):
    SYNC = "sync"  # a record's sync status changed (id: the record; event_id: the SyncEvent)
    OUTBOX = "outbox"  # an ErpExport was created or changed status (id: the export)
    IMPORT = "import"  # an import's progress or end (id: the ImportRun it started as)
    USER = "user"  # a user's tokens, permissions or status changed (id: the user)


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    id: int
    record_type: str | None = None
    status: str | None = None
    event_id: int | None = None
    project_id: int | None = None
    user_id: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    origin: str = ORIGIN

    def encode(self) -> str:
        body: dict[str, Any] = {"k": self.kind.value, "i": self.id, "o": self.origin}
        for key, value in (
            ("t", self.record_type),
            ("s", self.status),
            ("e", self.event_id),
            ("p", self.project_id),
            ("u", self.user_id),
        ):
            if value is not None:
                body[key] = value
        if self.detail:
            body["d"] = dict(self.detail)
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def decode(cls, payload: str) -> Notice | None:
        """The notice a payload holds, or None for anything else found on the channel."""
        try:
            body = json.loads(payload)
            detail = body.get("d") or {}
            if not isinstance(detail, dict):
                return None
            return cls(
                kind=NoticeKind(body["k"]),
                id=int(body["i"]),
                record_type=body.get("t"),
                status=body.get("s"),
                event_id=_optional_int(body.get("e")),
                project_id=_optional_int(body.get("p")),
                user_id=_optional_int(body.get("u")),
                detail=detail,
                origin=str(body.get("o", "")),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


# --- this process's listeners -------------------------------------------------------------------

Listener = Callable[[list[Notice]], None]
_listeners: dict[str, tuple[Listener, ...]] = {}
_listeners_lock = threading.Lock()


def database_key(engine: Engine) -> str:
    """Names a database: listeners of one database never hear another's notices (tests run many)."""
    return engine.url.render_as_string(hide_password=True)


def add_listener(engine: Engine, listener: Listener) -> Callable[[], None]:
    """Hand every notice of ``engine``'s database published or received in this process to
    ``listener`` (called on the publishing thread: it must be quick and thread-safe). Returns the
    function that removes it."""
    key = database_key(engine)
    with _listeners_lock:
        _listeners[key] = (*_listeners.get(key, ()), listener)

    def remove() -> None:
        with _listeners_lock:
            rest = tuple(x for x in _listeners.get(key, ()) if x is not listener)
            if rest:
                _listeners[key] = rest
            else:
                _listeners.pop(key, None)

    return remove


def deliver_locally(key: str, notices: list[Notice]) -> None:
    for listener in _listeners.get(key, ()):
        listener(notices)


# --- publishing ---------------------------------------------------------------------------------


def publish(session: Session, notice: Notice) -> None:
    """Publish ``notice`` when ``session``'s transaction commits (never if it rolls back)."""
    session.info.setdefault(_PENDING, []).append(notice)


def publish_live(engine: Engine, notices: Iterable[Notice]) -> list[Notice]:
    """Hand ``notices`` to this process's listeners now (not database state: nothing to wait for).
    Returns them; on PostgreSQL the caller sends them on to other processes (``notify_sql``)."""
    batch = list(notices)
    deliver_locally(database_key(engine), batch)
    return batch


NOTIFY_SQL = "SELECT pg_notify(:channel, p) FROM unnest(CAST(:payloads AS text[])) WITH ORDINALITY AS n(p, i)"


def notify_params(notices: Iterable[Notice]) -> dict[str, Any]:
    """Parameters of ``NOTIFY_SQL``, which sends ``notices`` in order on the channel."""
    payloads = [n.encode() for n in notices]
    return {"channel": CHANNEL, "payloads": [p for p in payloads if len(p.encode()) <= MAX_PAYLOAD_BYTES]}


def sync_notice(record_type: str, record_id: int, status: str, event_id: int) -> Notice:
    return Notice(NoticeKind.SYNC, record_id, record_type=record_type, status=status, event_id=event_id)


def user_changed(session: Session, user_id: int) -> None:
    """The user's tokens, permissions or status changed: whoever keeps a copy drops it."""
    publish(session, Notice(NoticeKind.USER, user_id))


# --- the session hooks ------------------------------------------------------------------------------


@event.listens_for(Session, "after_flush")
def _collect_flushed(session: Session, _flush: UOWTransaction) -> None:
    """Every sync transition and outbox change written by this flush, whichever code wrote it.
    Records born with a status (loaded from the ERP) are not transitions and are not announced."""
    from models.sync import ErpExport, SyncEvent

    transitions: list[Any] = []
    exports: list[Any] = []
    for obj in session.new:
        if isinstance(obj, SyncEvent):
            if obj.from_status is not None:
                transitions.append(obj)
        elif isinstance(obj, ErpExport):
            exports.append(obj)
    for obj in session.dirty:
        if isinstance(obj, ErpExport) and inspect(obj).attrs.status.history.has_changes():
            exports.append(obj)
    # in the order they happened: each record's history is in id order
    for row in sorted(transitions, key=lambda e: e.id):
        publish(session, sync_notice(str(row.record_type), row.record_id, str(row.to_status), row.id))
    for row in sorted(exports, key=lambda e: e.id):
        publish(session, _outbox_notice(row))


def _outbox_notice(export: Any) -> Notice:
    return Notice(
        NoticeKind.OUTBOX, export.id, record_type=str(export.record_type), status=str(export.status)
    )


@event.listens_for(Session, "before_commit")
def _send_on_commit(session: Session) -> None:
    if not session.info.get(_PENDING):
        return
    session.flush()  # the commit's own flush comes after this hook: collect what it would write
    notices = _with_projects(session, _in_order(session.info.get(_PENDING) or []))
    session.info[_PENDING] = notices
    if notices and session.get_bind().dialect.name == "postgresql":
        # inside the transaction: PostgreSQL delivers them only if it commits
        session.execute(text(NOTIFY_SQL), notify_params(notices))


@event.listens_for(Session, "after_commit")
def _deliver_after_commit(session: Session) -> None:
    notices = session.info.pop(_PENDING, None)
    if notices:
        deliver_locally(database_key(_engine_of(session)), notices)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _in_order(notices: list[Notice]) -> list[Notice]:
    """A transaction's record transitions first (in history order), then its outbox changes: a
    transition's flush may come after its export row's, and a subscriber hears a record turn
    EXPORTING before it hears of the export that made it so."""
    rank = {NoticeKind.SYNC: 0, NoticeKind.OUTBOX: 1}
    return sorted(notices, key=lambda n: rank.get(n.kind, 2))


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _with_projects(session: Session, notices: list[Notice]) -> list[Notice]:
    """Sync notices carry the record's project, so a subscriber to one project skips the others'
    without reading anything."""
    from dataclasses import replace

    from models import registry

    out = []
    for notice in notices:
        if notice.kind is NoticeKind.SYNC and notice.project_id is None and notice.record_type:
            record = session.get(registry.spec(notice.record_type).model, notice.id)
            project_id = registry.project_id_of(record) if record is not None else None
            notice = replace(notice, project_id=project_id)
        out.append(notice)
    return out
