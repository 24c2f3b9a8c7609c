"""How far an import has got, told to whoever watches it (the CLI's progress bar, the API's
``importRunProgress`` subscription): the phase, rows done, rows in the phase, and the ImportRun the
import started as.

A phase reports when it starts, every ``step`` rows, and when it ends, so a 200,000-row file gives a
few hundred reports, not one per row. Without a callback every call is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

READ = "read"  # the file into rows (one step: the reader takes the whole sheet)
CHECK = "check"  # cells parsed and validated, row by row
MATCH = "match"  # rows matched to what they refer to (jobs, codes, vendors, existing records)
WRITE = "write"  # rows written to the database
PLACE = "place"  # job costs waiting for a job, code or vendor placed
PHASES = (READ, CHECK, MATCH, WRITE, PLACE)
LABELS = {
    READ: "Reading the file",
    CHECK: "Checking rows",
    MATCH: "Matching rows",
    WRITE: "Writing rows",
    PLACE: "Placing waiting job costs",
}


@dataclass(frozen=True, slots=True)
class ImportProgress:
    phase: str
    done: int
    total: int | None  # None while the size of the phase is not known yet
    run_id: int | None = None  # the ImportRun the import started as

    @property
    def label(self) -> str:
        return LABELS.get(self.phase, self.phase)


ProgressCallback = Callable[[ImportProgress], None]


class Reporter:
    """Reports one phase at a time to ``callback`` (or nowhere)."""

    def __init__(
        self, callback: ProgressCallback | None = None, step: int = 2000, run_id: int | None = None
    ) -> None:
        self.callback = callback
        self.step = step
        self.run_id = run_id
        self.phase = ""
        self.total: int | None = None
        self.done = 0
        self._next = 0

    @property
    def active(self) -> bool:
        return self.callback is not None

    def start(self, phase: str, total: int | None) -> None:
        self.phase, self.total, self.done = phase, total, 0
        self._next = self._interval(total)
        if self.callback is not None:
            self.callback(ImportProgress(phase, 0, total, self.run_id))

    def advance(self, rows: int = 1) -> None:
        if self.callback is None:
            return
        self.done += rows
        if self.done >= self._next:
            self._next = self.done + self._interval(self.total)
            self.callback(ImportProgress(self.phase, self.done, self.total, self.run_id))

    def finish(self, done: int | None = None) -> None:
        """The phase is over: ``done`` rows (default: all of them, or as many as were counted)."""
        if self.callback is None:
            return
        if done is None:
            done = self.total if self.total is not None else self.done
        self.done = done
        self.callback(
            ImportProgress(self.phase, done, done if self.total is None else self.total, self.run_id)
        )

    def each(self, phase: str, items: Iterable[T], total: int) -> Iterable[T]:
        """``items``, reporting ``phase`` as they are consumed (``items`` itself when nobody listens,
        so a load without a watcher pays nothing)."""
        if self.callback is None:
            return items
        return self._each(phase, items, total)

    def _each(self, phase: str, items: Iterable[T], total: int) -> Iterator[T]:
        callback = self.callback
        assert callback is not None  # each() reports only to a listener
        self.start(phase, total)
        every = self._interval(total)
        count = 0
        for item in items:
            yield item
            count += 1
            if count % every == 0:
                self.done = count
                callback(ImportProgress(phase, count, total, self.run_id))
        self.finish(count)

    def _interval(self, total: int | None) -> int:
        return self.step if total is None else min(self.step, max(1, total // 100))


NO_PROGRESS = Reporter(None)
