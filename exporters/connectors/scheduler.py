"""Runs the file connector every N seconds in a background thread (for ``costbridge serve``), and
with it the approvers' daily digest e-mail when it is due (``exporters.digest_mail``).

    scheduler = start_file_connector(session_factory, interval_seconds=60)
    ...
    scheduler.stop()

A failed run is reported to ``on_error`` and the next run happens on schedule: the connector is
crash-safe, so a later run picks up whatever an earlier one left. Schedulers in several processes
(or cron beside one) do not deliver twice: one run at a time holds the database lease.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from exporters.connectors.file import ConnectorRun, run_file_connector
from exporters.digest_mail import send_due_digest

log = logging.getLogger("costbridge.connector")


class ConnectorScheduler:
    def __init__(
        self,
        factory: sessionmaker[Session],
        interval_seconds: float,
        folder: str | Path | None = None,
        on_run: Callable[[ConnectorRun], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        if interval_seconds <= 0:
            raise ValueError("interval_seconds must be positive")
        self.factory = factory
        self.interval = interval_seconds
        self.folder = folder
        self.on_run = on_run
        self.on_error = on_error
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="costbridge-file-connector", daemon=True)

    def start(self) -> ConnectorScheduler:
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 10) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run = run_file_connector(self.factory, self.folder)
                self.runs += 1
                if run.skipped:
                    log.info("file connector run skipped: %s", run.skipped)
                elif run.files or run.errors:
                    log.info("file connector wrote %s, errors %s", [p.name for p in run.files], run.errors)
                if self.on_run:
                    self.on_run(run)
            except Exception as exc:  # keep the schedule alive; the next run retries
                log.exception("file connector run failed")
                if self.on_error:
                    self.on_error(exc)
            try:
                send_due_digest(self.factory)
            except Exception as exc:  # a mail server down must not stop the connector
                log.exception("approval digest failed")
                if self.on_error:
                    self.on_error(exc)
            self._stop.wait(self.interval)


def start_file_connector(
    factory: sessionmaker[Session],
    interval_seconds: float,
    folder: str | Path | None = None,
    on_run: Callable[[ConnectorRun], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
) -> ConnectorScheduler:
    """Start running the file connector now and then every ``interval_seconds``."""
    return ConnectorScheduler(factory, interval_seconds, folder, on_run, on_error).start()
