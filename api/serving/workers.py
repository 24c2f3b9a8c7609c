"""The one bounded pool where a request's database work runs, off the event loop.

Token lookup, the whole GraphQL operation (parse, validate, execute with synchronous resolvers,
encode), downloads and imports each run as one job here, so the event loop only moves bytes. The
pool has as many threads as the database pool has connections, so a job never waits for a
connection; a request that waits longer than the queue timeout for a thread is refused with
SERVER_BUSY (503) without having touched the database.

Each thread keeps a private asyncio loop for the few resolvers that are coroutines (DataLoader
pages): they run inside the job, on that thread, never on the server's loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_local = threading.local()


class ServerBusy(Exception):
    pass


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on this worker thread's own loop."""
    loop = getattr(_local, "loop", None)
    if loop is None:
        loop = _local.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coroutine)


class DatabaseWorkers:
    def __init__(self, size: int, queue_timeout: float) -> None:
        self.size = size
        self.queue_timeout = queue_timeout
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="costbridge-db")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a worker thread (with the caller's context variables, such as the
        request id). Raises ServerBusy if no thread was free within the queue timeout; once a job
        has started it runs to the end, whatever happens to the client."""
        context = contextvars.copy_context()
        job = self._executor.submit(context.run, fn, *args)
        waiter = asyncio.wrap_future(job)
        try:
            done, _ = await asyncio.wait({waiter}, timeout=self.queue_timeout)
        except asyncio.CancelledError:
            job.cancel()  # only takes effect while still queued
            raise
        if not done and job.cancel():
            raise ServerBusy()
        return await waiter

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
