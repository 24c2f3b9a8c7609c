"""An import's progress, published for the ``importRunProgress`` subscription.

``ImportWatch`` is the progress callback an import mutation hands the pipeline
(``importers.progress``): it publishes live notices (not database state: they go out while the
import's transaction is still open) at each phase's start and end and at most every
``interval`` seconds in between. ``finished`` publishes the last one once the import is committed
(or has failed and been recorded), with the outcome and the final counts.
"""

from __future__ import annotations

import time
from typing import Any

from api.subscriptions.hub import EventHub
from importers.progress import CHECK, READ, WRITE, ImportProgress
from models.enums import ImportKind
from models.events import Notice, NoticeKind
from models.imports import ImportRun
from models.policy import Actor

DONE = "done"


class ImportWatch:
    def __init__(
        self, hub: EventHub | None, actor: Actor, kind: ImportKind, file_name: str, interval: float = 0.25
    ) -> None:
        self.hub = hub
        self.user_id = actor.user_id
        self.kind = ImportKind(kind)
        self.file_name = file_name
        self.interval = interval
        self.run_id: int | None = None
        self.tallies: dict[str, int] = {}
        self._phase = ""
        self._sent_at = 0.0

    def __call__(self, progress: ImportProgress) -> None:
        if self.hub is None or progress.run_id is None:
            return
        self.run_id = progress.run_id
        tally = {READ: "read", CHECK: "planned", WRITE: "written"}.get(progress.phase)
        if tally is not None:
            self.tallies[tally] = progress.done
        now = time.monotonic()
        boundary = (
            progress.phase != self._phase
            or progress.done == 0
            or (progress.total is not None and progress.done >= progress.total)
        )
        if not boundary and now - self._sent_at < self.interval:
            return
        self._phase, self._sent_at = progress.phase, now
        detail = {"done": progress.done, "total": progress.total, "label": progress.label}
        self._publish(progress.run_id, progress.phase, detail)

    def finished(self, recorded: ImportRun | None) -> None:
        """The import is over and committed: ``recorded`` is its ImportRun (for an import that
        failed and was rolled back, the FAILED run recorded instead; None if none could be)."""
        if self.hub is None:
            return
        run_id = self.run_id if self.run_id is not None else (recorded.id if recorded is not None else None)
        if run_id is None:
            return
        counts = (recorded.counts or {}) if recorded is not None else {}
        written = counts.get("CREATE", 0) + counts.get("UPDATE", 0)
        planned = written + counts.get("UNCHANGED", 0) + counts.get("ERROR", 0)
        self.tallies = {"read": counts.get("ROWS", 0), "planned": planned, "written": written}
        detail: dict[str, Any] = {
            "done": counts.get("ROWS", 0),
            "total": counts.get("ROWS", 0),
            "label": "Finished",
            "finished": True,
            "outcome": recorded.status if recorded is not None else "FAILED",
            "recorded": recorded.id if recorded is not None else None,
        }
        self._publish(run_id, DONE, detail)

    def _publish(self, run_id: int, phase: str, detail: dict[str, Any]) -> None:
        assert self.hub is not None
        detail = {"kind": self.kind.value, "file": self.file_name[-120:], **self.tallies, **detail}
        notice = Notice(NoticeKind.IMPORT, run_id, status=phase, user_id=self.user_id, detail=detail)
        self.hub.publish_live([notice])
