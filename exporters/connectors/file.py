"""The file connector (the default): writes every pending ERP export into ERP-importable CSV
files, one file per ERP entity per run, columns named as in the mapping tables, then
acknowledges the exports.

Crash safety, in three steps each committed on its own:

1. ``deliver``: pending exports are marked DELIVERED with the file name they will be written to
   (committed), then the file is written under a temporary name and renamed into place, so a
   file either exists whole or not at all.
2. ``acknowledge_delivered``: DELIVERED exports whose file exists are acknowledged (SYNCED).
3. On the next run, ``recover`` first acknowledges DELIVERED exports whose file exists (the
   previous run died before acknowledging: no second file is written) and puts back to PENDING
   those whose file never appeared (it died before writing).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from exporters.mapping import payload_rows
from exporters.tabular import neutralise
from models.base import utcnow
from models.company import get_settings
from models.db import transaction
from models.errors import DomainError
from models.export_root import resolve_export_folder
from models.policy import connector
from models.sync import ErpExport
from models.workflow import (
    acknowledge_export,
    delivered_exports,
    get_export,
    mark_delivered,
    pending_exports,
    requeue_export,
)

CONNECTOR = "file"
# the actor the file connector acts as (its name is what the sync history shows)
ACTOR = connector(CONNECTOR)


@dataclass
class ConnectorRun:
    folder: Path
    files: list[Path] = field(default_factory=list)
    acknowledged: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def export_folder(session: Session, folder: str | Path | None = None) -> Path:
    """``folder`` when the caller (the command line, a test) names one; otherwise the company's
    setting, which must resolve inside the export root."""
    if folder is not None:
        return Path(folder)
    return resolve_export_folder(get_settings(session).export_folder)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, str]]) -> None:
    """Write atomically: a temporary file in the same folder, fsynced, then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([neutralise(c) for c in columns])
        for row in rows:
            writer.writerow([neutralise(row.get(c, "")) for c in columns])
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def deliver(
    factory: sessionmaker[Session], folder: str | Path | None = None, now: dt.datetime | None = None
) -> list[Path]:
    """Mark the pending exports DELIVERED and write their files. Returns the files written."""
    now = now or utcnow()
    plan: list[tuple[Path, list[str], list[dict[str, str]]]] = []
    with transaction(factory) as session:
        base = export_folder(session, folder)
        pending = pending_exports(session, ACTOR)
        groups: dict[tuple[str, str], list[ErpExport]] = {}
        for export in pending:
            groups.setdefault((export.erp_system, export.erp_entity), []).append(export)
        for (system, entity), exports in groups.items():
            name = f"{_slug(system)}-{_slug(entity)}-{now:%Y%m%dT%H%M%S}-{exports[0].id:06d}.csv"
            columns: list[str] = []
            rows: list[dict[str, str]] = []
            for export in exports:
                for column in export.payload["columns"]:
                    if column not in columns:
                        columns.append(column)
                rows.extend(payload_rows(export.payload))
                mark_delivered(session, ACTOR, export, CONNECTOR, name)
            plan.append((base / name, columns, rows))
    for path, columns, rows in plan:
        write_csv(path, columns, rows)
    return [path for path, _, _ in plan]


def acknowledge_delivered(
    factory: sessionmaker[Session], folder: str | Path | None = None, run: ConnectorRun | None = None
) -> ConnectorRun:
    """Acknowledge every DELIVERED export whose file exists; put back to PENDING those whose file
    is missing (their run died before writing it)."""
    with factory() as session:
        base = export_folder(session, folder)
        delivered = [(e.id, e.delivered_file) for e in delivered_exports(session, ACTOR, CONNECTOR)]
    run = run or ConnectorRun(folder=base)
    for export_id, file_name in delivered:
        exists = file_name is not None and (base / file_name).is_file()
        try:
            with transaction(factory) as session:
                if exists:
                    acknowledge_export(session, ACTOR, export_id, connector=CONNECTOR)
                    run.acknowledged.append(export_id)
                else:
                    requeue_export(session, ACTOR, get_export(session, ACTOR, export_id))
                    run.requeued.append(export_id)
        except DomainError as exc:
            run.errors.append(f"export {export_id}: {exc.code}: {exc.message}")
    return run


def run_file_connector(
    factory: sessionmaker[Session], folder: str | Path | None = None, now: dt.datetime | None = None
) -> ConnectorRun:
    """One connector run: recover what a previous run left, write the pending exports, acknowledge."""
    with factory() as session:
        base = export_folder(session, folder)
    run = ConnectorRun(folder=base)
    acknowledge_delivered(factory, base, run)
    run.recovered = list(run.acknowledged)
    run.files = deliver(factory, base, now)
    acknowledge_delivered(factory, base, run)
    return run
