"""The file connector (the default): writes every pending ERP export into ERP-importable CSV
files, one file per ERP entity per run, columns named as in the mapping tables, then acknowledges
the exports.

Each export reaches the ERP's folder in exactly one file, whatever happens: a crash at any point,
the ERP importing, moving or deleting the files it picked up, two connector processes started at
once. What makes it so:

- **One run at a time** (``models.delivery`` lease): a run starts by taking the company's
  connector lease; a second run finds it held and does nothing. Each step renews the lease; a run
  that outlived its lease (stalled past the expiry while another took over) fails its next renewal
  and stops before recording anything.
- **The delivery journal** (``models.delivery``), not the folder, says what was delivered. For each
  file: write it under a temporary name (``.NAME.RUN.tmp``, which an import folder ignores) and
  fsync it; then, in one transaction holding the lease, journal it with its export ids and mark
  those exports DELIVERED; then rename it to its visible name and fsync the folder; then mark the
  journal row VISIBLE; then acknowledge the exports (SYNCED).
- **Recovery** at the start of every run: a journal row still PREPARED is finished (its temporary
  file renamed; if that is gone, the rename had happened), temporary files no journal row names
  are removed (their exports are still PENDING and go out in this run), and exports of VISIBLE
  files are acknowledged. Nothing is written twice, and a file the ERP took away is never written
  again: exports are re-sent only through the workflow (fail, fix, resend), never by the connector.

``hooks`` let tests stop a run at each named step (``STEPS``) and keep a copy of each file as it
becomes visible.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exporters.mapping import payload_rows
from exporters.tabular import neutralise
from models.audit import acting_factory
from models.base import utcnow
from models.company import get_settings
from models.db import transaction
from models.delivery import (
    ExportsTaken,
    LeaseLost,
    acquire_lease,
    lease_of,
    mark_visible,
    prepared_deliveries,
    record_delivery,
    release_lease,
    renew_lease,
    unacknowledged,
)
from models.enums import ExportStatus
from models.errors import DomainError
from models.export_root import resolve_export_folder
from models.policy import connector
from models.registry import load_record
from models.sync import ErpExport
from models.workflow import acknowledge_export, fail_export, pending_exports
from models.workflow.keys import claim_key

CONNECTOR = "file"
# the actor the file connector acts as (its name is what the sync history shows)
ACTOR = connector(CONNECTOR)
LEASE = "connector:file"
# how long a run holds the lease without renewing it; every step renews it, so this only needs to
# outlast the longest step (writing one file) and is how long a crashed run blocks the next one
LEASE_SECONDS = 120.0

# the points a run passes, in order (per file from "written" on); hooks may stop a run at any
STEPS = ("leased", "recovered", "screened", "written", "recorded", "renamed", "published", "acknowledged")

_TEMP = re.compile(r"^\..+\.[0-9a-f]{12}\.tmp$")


@dataclass
class ConnectorHooks:
    """Test hooks: ``step(name)`` is called as the run passes each step of ``STEPS`` (raising
    there stops the run as a crash would), ``visible(path)`` as each file gets its visible name."""

    step: Callable[[str], None] = lambda name: None
    visible: Callable[[Path], None] = lambda path: None


@dataclass
class ConnectorRun:
    folder: Path
    files: list[Path] = field(default_factory=list)  # made visible by this run
    acknowledged: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)  # acknowledged for files an earlier run wrote
    failed: list[int] = field(default_factory=list)  # refused before writing (an ERP key now held)
    errors: list[str] = field(default_factory=list)
    # set when another run holds the lease: this run did nothing
    skipped: str | None = None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def export_folder(session: Session, folder: str | Path | None = None) -> Path:
    """``folder`` when the caller (the command line, a test) names one; otherwise the company's
    setting, which must resolve inside the export root."""
    if folder is not None:
        return Path(folder)
    return resolve_export_folder(get_settings(session).export_folder)


def _fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, str]]) -> int:
    """Write the file at ``path`` and fsync it (and its folder). Returns the rows written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([neutralise(c) for c in columns])
        for row in rows:
            writer.writerow([neutralise(row.get(c, "")) for c in columns])
            count += 1
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_folder(path.parent)
    return count


class _Run:
    """One connector run: the lease holder and the steps."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        folder: Path,
        now: dt.datetime,
        hooks: ConnectorHooks,
        lease_seconds: float,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.factory = factory
        self.folder = folder
        self.now = now
        self.hooks = hooks
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.holder = uuid.uuid4().hex
        self.result = ConnectorRun(folder=folder)

    def step(self, name: str) -> None:
        self.hooks.step(name)

    def renew(self, session: Session) -> None:
        renew_lease(session, LEASE, self.holder, self.lease_seconds, self.clock())

    # --- recovery ------------------------------------------------------------------------------

    def recover(self) -> None:
        """Finish what an earlier run left: rename PREPARED files, drop orphan temporary files,
        acknowledge the exports of VISIBLE files."""
        with transaction(self.factory) as session:
            self.renew(session)
            prepared = [
                (d.id, Path(d.folder), d.file_name, d.temp_name)
                for d in prepared_deliveries(session, ACTOR, CONNECTOR)
            ]
        for delivery_id, folder, file_name, temp_name in prepared:
            self.publish(delivery_id, folder / temp_name, folder / file_name)
        self.drop_orphans({temp for _, _, _, temp in prepared})
        with self.factory() as session:
            waiting = unacknowledged(session, ACTOR, CONNECTOR)
        self.acknowledge([export_id for export_id, _ in waiting], recovered=True)

    def drop_orphans(self, journalled: set[str]) -> None:
        """Temporary files no journal row names were never recorded: their exports are still
        PENDING. Only the lease holder writes here, so none of them is being written now."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if _TEMP.match(path.name) and path.name not in journalled:
                path.unlink(missing_ok=True)

    # --- delivering ----------------------------------------------------------------------------

    def screen(self) -> None:
        """Fail the pending exports whose ERP key another record took since they were accepted
        (an ERP import, say): written, they would give the ERP one key for two records."""
        with transaction(self.factory) as session:
            self.renew(session)
            refused: list[tuple[int, str]] = []
            for export in pending_exports(session, ACTOR):
                if not export.origin_id:
                    continue
                record = load_record(session, export.record_type, export.record_id)
                try:
                    claim_key(session, record, export.origin_id, field=None)
                except DomainError as exc:
                    refused.append((export.id, exc.message))
            for export_id, message in refused:
                fail_export(session, ACTOR, export_id, [message], connector=CONNECTOR)
                self.result.failed.append(export_id)

    def groups(self) -> list[tuple[str, str, list[int]]]:
        """(ERP system, entity, export ids) of the pending exports, one group per file."""
        with self.factory() as session:
            rows = session.execute(
                select(ErpExport.erp_system, ErpExport.erp_entity, ErpExport.id)
                .where(ErpExport.status == ExportStatus.PENDING)
                .order_by(ErpExport.id)
            ).all()
        groups: dict[tuple[str, str], list[int]] = {}
        for system, entity, export_id in rows:
            groups.setdefault((system, entity), []).append(export_id)
        return [(system, entity, ids) for (system, entity), ids in groups.items()]

    def deliver(self, system: str, entity: str, export_ids: list[int]) -> None:
        """Write one file, journal it, make it visible, acknowledge it. Exports an agent closed
        meanwhile are left out and the file is written again."""
        while export_ids:
            name = f"{_slug(system)}-{_slug(entity)}-{self.now:%Y%m%dT%H%M%S}-{export_ids[0]:06d}.csv"
            temp = self.folder / f".{name}.{self.holder[:12]}.tmp"
            with self.factory() as session:
                exports = list(
                    session.scalars(
                        select(ErpExport)
                        .where(ErpExport.id.in_(export_ids), ErpExport.status == ExportStatus.PENDING)
                        .order_by(ErpExport.id)
                    )
                )
            export_ids = [e.id for e in exports]
            if not export_ids:
                return
            columns: list[str] = []
            rows: list[dict[str, str]] = []
            for export in exports:
                columns.extend(c for c in export.payload["columns"] if c not in columns)
                rows.extend(payload_rows(export.payload))
            count = write_csv(temp, columns, rows)
            self.step("written")
            try:
                with transaction(self.factory) as session:
                    self.renew(session)
                    delivery = record_delivery(
                        session,
                        ACTOR,
                        connector=CONNECTOR,
                        holder=self.holder,
                        folder=str(self.folder.absolute()),  # recovery may run elsewhere
                        file_name=name,
                        temp_name=temp.name,
                        export_ids=export_ids,
                        row_count=count,
                    )
                    delivery_id = delivery.id
            except ExportsTaken:
                temp.unlink(missing_ok=True)
                continue
            except BaseException:
                temp.unlink(missing_ok=True)  # not recorded: its exports are still pending
                raise
            self.step("recorded")
            self.publish(delivery_id, temp, self.folder / name)
            self.acknowledge(export_ids)
            return

    def publish(self, delivery_id: int, temp: Path, final: Path) -> None:
        """Give a journalled file its visible name (unless an earlier attempt did) and say so."""
        if temp.exists():
            if final.exists():
                raise RuntimeError(f"{final} exists already; the journal names it once")
            os.replace(temp, final)
            _fsync_folder(final.parent)
            self.result.files.append(final)
            self.hooks.visible(final)
        self.step("renamed")
        with transaction(self.factory) as session:
            self.renew(session)
            mark_visible(session, ACTOR, delivery_id)
        self.step("published")

    def acknowledge(self, export_ids: Sequence[int], *, recovered: bool = False) -> None:
        """Acknowledge delivered exports, each on its own: one refused (its ERP key, say) is
        reported and stays DELIVERED; the next run tries it again. Never delivered twice."""
        if not export_ids:
            return
        done: list[int] = []
        with transaction(self.factory) as session:
            for export_id in export_ids:
                try:
                    acknowledge_export(session, ACTOR, export_id, connector=CONNECTOR)
                    done.append(export_id)
                except DomainError as exc:
                    self.result.errors.append(f"export {export_id}: {exc.code}: {exc.message}")
        self.result.acknowledged.extend(done)
        if recovered:
            self.result.recovered.extend(done)
        self.step("acknowledged")


def run_file_connector(
    factory: sessionmaker[Session],
    folder: str | Path | None = None,
    now: dt.datetime | None = None,
    *,
    hooks: ConnectorHooks | None = None,
    lease_seconds: float = LEASE_SECONDS,
    clock: Callable[[], dt.datetime] = utcnow,
) -> ConnectorRun:
    """One connector run: take the lease, recover what an earlier run left, deliver every pending
    export, give the lease back. Returns what it did (``skipped`` when another run holds the lease).

    ``now`` stamps the file names; ``clock`` is the lease's clock."""
    # whatever the run writes, the audit trail and the sync history name the connector
    factory = acting_factory(factory, ACTOR)
    with factory() as session:
        base = export_folder(session, folder)
    run = _Run(factory, base, now or utcnow(), hooks or ConnectorHooks(), lease_seconds, clock)
    if not acquire_lease(factory, LEASE, run.holder, lease_seconds, clock()):
        with factory() as session:
            lease = lease_of(session, LEASE)
            until = f" until {lease.expires_at:%Y-%m-%d %H:%M:%S} UTC" if lease is not None else ""
        run.result.skipped = f"another connector run holds the lease{until}"
        return run.result
    try:
        run.step("leased")
        run.recover()
        run.step("recovered")
        run.screen()
        run.step("screened")
        for system, entity, export_ids in run.groups():
            run.deliver(system, entity, export_ids)
    except LeaseLost as exc:
        run.result.errors.append(f"stopped: {exc}")
    except Exception:
        release_lease(factory, LEASE, run.holder, clock())
        raise
    else:
        release_lease(factory, LEASE, run.holder, clock())
    return run.result
