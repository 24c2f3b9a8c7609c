"""Recording ImportRuns: who imported which file (by sha256), when, how, and what came of it."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from importers.errors import RowIssue
from importers.limits import DEFAULT_LIMITS, ImportLimits
from importers.plan import RunStatus
from models.base import utcnow
from models.enums import ImportKind
from models.errors import ErrorCode
from models.imports import ImportRun
from models.policy import Actor


def start_run(
    session: Session,
    kind: ImportKind,
    data: bytes,
    file_name: str,
    actor: Actor,
    *,
    dry_run: bool,
    error_policy: str,
    project_id: int | None,
) -> ImportRun:
    run = ImportRun(
        kind=kind,
        file_name=(file_name or "upload")[-255:],
        sha256=hashlib.sha256(data).hexdigest(),
        project_id=project_id,
        user_id=actor.user_id,
        dry_run=dry_run,
        error_policy=error_policy,
        status=RunStatus.FAILED,  # until finished
        counts={},
        errors=[],
        warnings=[],
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    run: ImportRun,
    *,
    status: RunStatus,
    counts: dict[str, int],
    errors: list[RowIssue],
    warnings: list[RowIssue],
    limits: ImportLimits,
) -> ImportRun:
    run.status = str(status)
    run.counts = dict(counts)
    run.errors = _capped(errors, limits.max_recorded_errors)
    run.warnings = _capped(warnings, limits.max_recorded_errors)
    run.finished_at = utcnow()
    return run


def record_failed_run(
    session: Session,
    kind: ImportKind,
    data: bytes,
    file_name: str,
    actor: Actor,
    *,
    dry_run: bool,
    error_policy: str,
    project_id: int | None,
    code: ErrorCode,
    message: str,
) -> ImportRun:
    """Record an import that stopped before it could record itself (its transaction was rolled
    back: the database stayed busy, a conflicting change, an unexpected error): FAILED, nothing
    written, and why. The caller commits."""
    run = start_run(
        session,
        kind,
        data,
        file_name,
        actor,
        dry_run=dry_run,
        error_policy=error_policy,
        project_id=project_id,
    )
    return finish_run(
        run,
        status=RunStatus.FAILED,
        counts={},
        errors=[RowIssue(code, message)],
        warnings=[],
        limits=DEFAULT_LIMITS,
    )


def _capped(issues: list[RowIssue], cap: int) -> list[dict[str, Any]]:
    out = [i.as_dict() for i in issues[:cap]]
    if len(issues) > cap:
        out.append(
            RowIssue(
                ErrorCode.TOO_MANY_ERRORS, f"{len(issues) - cap} more not listed (the first {cap} are shown)"
            ).as_dict()
        )
    return out
